import { hash } from 'node:crypto';
import { BSON } from 'mongodb';
import { canonicalCommandName } from './command-name.ts';

/**
 * Query shapes: a command with its literal values replaced by their BSON type names,
 * so that `find users {age: {$gt: 30}}` and `… {$gt: 41}` share one shape. Replay
 * keys its histograms by shape, compare groups differences by it, lint reports by it.
 *
 * Kept: command name, collection, field names and operators, sort/projection specs
 * (their 1/-1 values change the plan), pipeline stage structure. Dropped: fields
 * that say nothing of the query (session, cluster time, read/write concern, batch
 * sizes, comments, `$db`). Arrays of literals (`$in: [1,2,3]`) collapse to one
 * element per distinct type, so the list length does not split shapes.
 */
const IGNORED_FIELDS = new Set([
  '$db',
  'lsid',
  '$clusterTime',
  'txnNumber',
  'autocommit',
  'startTransaction',
  'readConcern',
  'writeConcern',
  '$readPreference',
  'readPreference',
  'batchSize',
  'maxTimeMS',
  'comment',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  'cursor',
  'singleBatch',
  'ordered',
  'bypassDocumentValidation',
  'allowDiskUse',
  'noCursorTimeout',
  'needsMerge',
  'let',
  'shardVersion',
  'databaseVersion',
  'clientOperationKey',
  'mayBypassWriteBlocking',
  '$audit',
  '$client',
  '$configServerState',
  'maxScan',
  'awaitData',
  'tailable',
]);

/** Fields whose values are specifications, not literals: keep numbers like 1/-1 as they are. */
const SPEC_FIELDS = new Set(['sort', 'projection', 'fields', 'hint', 'key', '$sort', '$project', 'indexes']);

/** Batches of writes: one shape however many documents or statements a batch holds. */
const BATCH_FIELDS = new Set(['documents', 'updates', 'deletes', 'ops']);

/** Flags that change what a command or a write statement does: kept, not typed. */
const OPTION_FLAGS = new Set(['new', 'remove', 'upsert', 'multi']);

/** getMore/killCursors ids, and the collection value of commands like {find: 'users'}, are literals we keep or drop explicitly. */
export interface Shape {
  /** Stable 12-hex-digit id: equal shapes, equal ids, across runs and machines. */
  readonly id: string;
  /** The shape as compact JSON, readable in reports. */
  readonly text: string;
}

export function shapeOf(command: BSON.Document): Shape {
  const text = shapeText(command);
  let shape = known.get(text);
  if (shape === undefined) {
    // One-shot hash: no Hash object per operation (about 1 % of a replay's CPU, profiled).
    shape = { id: hash('sha256', text, 'hex').slice(0, 12), text };
    if (known.size >= KNOWN_MAX) known.clear();
    known.set(text, shape);
  }
  return shape;
}

/**
 * Shapes already met, by text: a workload has few shapes and meets each many times, so
 * the hash is taken once per shape. Bounded: a capture of endless distinct shapes (a
 * generated field name per operation) clears it now and then.
 */
const known = new Map<string, Shape>();
const KNOWN_MAX = 10_000;

/**
 * The shape's text: what `JSON.stringify` gives for the abstracted command (`abstracted`
 * below, the definition), written as text in one walk. Building the abstracted tree and
 * stringifying it was most of a shape's cost, and a replay takes one per operation.
 * Commands the walk cannot write exactly as that tree would stringify (a key the command
 * name's canonical spelling collides with, a `__proto__` key) take the tree.
 */
function shapeText(command: BSON.Document): string {
  let text = '{';
  let first = true;
  let name = '';
  for (const key in command) {
    if (!Object.prototype.hasOwnProperty.call(command, key)) continue;
    const value: unknown = command[key];
    if (first) {
      first = false;
      name = canonicalCommandName(key);
      if (name === '__proto__' || (name !== key && Object.prototype.hasOwnProperty.call(command, name))) return JSON.stringify(abstracted(command));
      text += `${jsonKey(name)}${typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(typeName(value))}`;
      continue;
    }
    if (IGNORED_FIELDS.has(key)) continue;
    if (key === '__proto__') return JSON.stringify(abstracted(command));
    if (key === 'collection' && typeof value === 'string') {
      text += `,${jsonKey(key)}${JSON.stringify(value)}`;
      continue;
    }
    if (OPTION_FLAGS.has(key) && typeof value === 'boolean') {
      text += `,${jsonKey(key)}${value ? 'true' : 'false'}`;
      continue;
    }
    const inner = valueText(value, SPEC_FIELDS.has(key), key === 'pipeline', false, BATCH_FIELDS.has(key));
    if (inner === undefined) return JSON.stringify(abstracted(command));
    text += `,${jsonKey(key)}${inner}`;
  }
  return `${text}}`;
}

/** `"key":` as JSON.stringify writes a key (quoted keys are kept: a workload repeats its field names). */
function jsonKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    if (quotedKeys.size >= KNOWN_MAX) quotedKeys.clear();
    quotedKeys.set(key, quoted);
  }
  return quoted;
}
const quotedKeys = new Map<string, string>();

/** `abstract(value, ctx, collapse)` as JSON text; undefined where only the tree gives it exactly (a `__proto__` key, a sparse array). */
function valueText(value: unknown, spec: boolean, expr: boolean, statement: boolean, collapse = false): string | undefined {
  if (Array.isArray(value)) {
    const texts: string[] = [];
    let structural = value.length > 0;
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return undefined;
      const v: unknown = value[i];
      if (structural && !isPlainDocument(v)) structural = false;
      const t = collapse ? valueText(v, spec, expr, true) : valueText(v, spec, expr, false);
      if (t === undefined) return undefined;
      texts.push(t);
    }
    if (structural && !collapse) return `[${texts.join(',')}]`;
    // Literal lists collapse to the distinct shapes of their items, in first-seen order.
    return `[${[...new Set(texts)].join(',')}]`;
  }
  if (isPlainDocument(value)) {
    let text = '{';
    let first = true;
    for (const k in value) {
      if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
      if (k === '__proto__') return undefined;
      const v = value[k];
      let t: string | undefined;
      if (statement && OPTION_FLAGS.has(k) && typeof v === 'boolean') t = v ? 'true' : 'false';
      else t = valueText(v, spec || SPEC_FIELDS.has(k), expr || k === '$expr', false);
      if (t === undefined) return undefined;
      text += first ? `${jsonKey(k)}${t}` : `,${jsonKey(k)}${t}`;
      first = false;
    }
    return `${text}}`;
  }
  if (expr && typeof value === 'string' && value.startsWith('$')) return JSON.stringify(value);
  if (spec) {
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
    if (isBsonNumber(value)) return JSON.stringify(Number(String(value.valueOf())));
  }
  return JSON.stringify(typeName(value));
}

/** The abstracted command: the definition of a shape, whose JSON.stringify is its text. */
function abstracted(command: BSON.Document): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let first = true;
  for (const [key, value] of Object.entries(command)) {
    if (first) {
      // The command name (canonical spelling: `findandmodify` shapes as `findAndModify`)
      // and its argument (the collection, or 1).
      first = false;
      out[canonicalCommandName(key)] = typeof value === 'string' ? value : typeName(value);
      continue;
    }
    if (IGNORED_FIELDS.has(key)) continue;
    if (key === 'collection' && typeof value === 'string') {
      out[key] = value; // getMore names its collection here
      continue;
    }
    if (OPTION_FLAGS.has(key) && typeof value === 'boolean') {
      out[key] = value; // findAndModify new/remove/upsert change what the command does
      continue;
    }
    out[key] = abstract(value, { spec: SPEC_FIELDS.has(key), expr: key === 'pipeline' }, BATCH_FIELDS.has(key));
  }
  return out;
}

/** The shape's text from the abstracted tree, the definition the one-walk text must equal (tests). */
export function shapeTextByTree(command: BSON.Document): string {
  return JSON.stringify(abstracted(command));
}

/**
 * How a value is read: `spec` (sort/projection/key: numbers are part of the shape),
 * `expr` (aggregation expressions: `'$field'` and `'$$var'` are references, not
 * literals), `statement` (an element of a write batch: its option flags are kept).
 */
interface Context {
  readonly spec: boolean;
  readonly expr: boolean;
  readonly statement?: boolean;
}

function abstract(value: unknown, ctx: Context, collapse = false): unknown {
  if (Array.isArray(value)) {
    const inner: Context = collapse ? { ...ctx, statement: true } : { spec: ctx.spec, expr: ctx.expr };
    const items = value.map((v) => abstract(v, inner));
    // Collapse literal lists to the distinct shapes of their items, in first-seen order.
    const seen = new Map<string, unknown>();
    for (const item of items) {
      const key = JSON.stringify(item);
      if (!seen.has(key)) seen.set(key, item);
    }
    return isStructural(value) && !collapse ? items : [...seen.values()];
  }
  if (isPlainDocument(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (ctx.statement && OPTION_FLAGS.has(k) && typeof v === 'boolean') out[k] = v;
      else out[k] = abstract(v, { spec: ctx.spec || SPEC_FIELDS.has(k), expr: ctx.expr || k === '$expr' });
    }
    return out;
  }
  if (ctx.expr && typeof value === 'string' && value.startsWith('$')) return value;
  if (ctx.spec && (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')) return value;
  if (ctx.spec && isBsonNumber(value)) return Number(String(value.valueOf()));
  return typeName(value);
}

/** Pipelines, $and/$or lists: arrays of documents keep every element (order and count matter). */
function isStructural(arr: unknown[]): boolean {
  return arr.length > 0 && arr.every(isPlainDocument);
}

function isPlainDocument(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value) || value instanceof Date || value instanceof RegExp || value instanceof Uint8Array) return false;
  return !('_bsontype' in value);
}

function isBsonNumber(value: unknown): value is { valueOf(): unknown } {
  const t = (value as { _bsontype?: string } | null)?._bsontype;
  return t === 'Int32' || t === 'Double' || t === 'Long' || t === 'Decimal128';
}

/** BSON type names as the server's $type operator spells them. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) && Math.abs(value) < 2 ** 31 ? 'int' : 'double';
    case 'bigint':
      return 'long';
    case 'object':
      break;
    default:
      return typeof value;
  }
  if (value instanceof Date) return 'date';
  if (value instanceof RegExp) return 'regex';
  if (Array.isArray(value)) return 'array';
  const bsontype = (value as { _bsontype?: string })._bsontype;
  switch (bsontype) {
    case 'ObjectId':
      return 'objectId';
    case 'Int32':
      return 'int';
    case 'Long':
      return 'long';
    case 'Double':
      return 'double';
    case 'Decimal128':
      return 'decimal';
    case 'Binary':
      return 'binData';
    case 'Timestamp':
      return 'timestamp';
    case 'BSONRegExp':
      return 'regex';
    case 'MinKey':
      return 'minKey';
    case 'MaxKey':
      return 'maxKey';
    case 'Code':
      return 'javascript';
    case 'BSONSymbol':
      return 'symbol';
    case 'DBRef':
      return 'dbPointer';
    case undefined:
      return 'object';
    default:
      return bsontype.toLowerCase();
  }
}
