import { commandKey } from '../model/command-name.ts';

/**
 * A shape as people read it in verdict lines and tables: its command, collection and a
 * short text of its filter, then the 12-hex id that finds it in the run and the config
 * (`find companies {_id: int} (3f2a9c1b7d0e)`). Built from the shape text of
 * harness/model/shape.ts, so it needs nothing but what every report already carries.
 */

/** Longest filter text shown before it is cut with `…`. */
const FILTER_CHARS = 60;

/** Where each command keeps what selects its documents (write batches: the first statement's). */
const FILTER_FIELDS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  find: ['filter'],
  count: ['query'],
  distinct: ['query'],
  findandmodify: ['query'],
  update: ['updates', 'q'],
  delete: ['deletes', 'q'],
});

export function shapeLabel(id: string, text: string | undefined): string {
  if (id === '*') return 'whole app';
  let shape: unknown;
  try {
    shape = JSON.parse(text ?? '');
  } catch {
    return id;
  }
  if (!isObject(shape)) return id;
  const [cmd, target] = Object.entries(shape)[0] ?? [];
  if (cmd === undefined) return id;
  const parts = [cmd];
  // The collection, when the command names one (`{buildInfo: "int"}` names none).
  if (typeof target === 'string' && !TYPE_NAMES.has(target)) parts.push(target);
  const what = selection(commandKey(cmd), shape);
  if (what) parts.push(what);
  return `${parts.join(' ')} (${id})`;
}

function selection(cmd: string, shape: Record<string, unknown>): string {
  if (cmd === 'aggregate' && Array.isArray(shape.pipeline)) {
    const stages = (shape.pipeline as unknown[]).filter(isObject).map((s) => {
      const op = Object.keys(s)[0] ?? '';
      return op === '$match' ? `$match ${compact(s[op])}` : op;
    });
    return cut(`[${stages.join(', ')}]`);
  }
  if (cmd === 'distinct' && typeof shape.key === 'string') {
    return cut(`${shape.key}${isObject(shape.query) ? ` ${compact(shape.query)}` : ''}`);
  }
  const path = FILTER_FIELDS[cmd];
  if (!path) return '';
  let value: unknown = shape;
  for (const key of path) {
    value = isObject(value) ? value[key] : undefined;
    if (Array.isArray(value)) value = value[0]; // a write batch: its first statement
  }
  return value === undefined ? '' : cut(compact(value));
}

/** JSON without quotes: `{status: string, priority: {$gt: int}}`. */
function compact(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(compact).join(', ')}]`;
  if (isObject(value)) return `{${Object.entries(value).map(([k, v]) => `${k}: ${compact(v)}`).join(', ')}}`;
  return String(value);
}

function cut(text: string): string {
  return text.length > FILTER_CHARS ? `${text.slice(0, FILTER_CHARS - 1)}…` : text;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The type names shape.ts writes for literals: a command argument that is one names no collection. */
const TYPE_NAMES = new Set(['int', 'long', 'double', 'decimal', 'bool', 'string', 'null', 'objectId', 'date', 'object', 'array', 'binData', 'timestamp']);
