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
  const entries = Object.entries(command);
  const out: Record<string, unknown> = {};
  let first = true;
  for (const [key, value] of entries) {
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
  const text = JSON.stringify(out);
  // One-shot hash: no Hash object per operation (about 1 % of a replay's CPU, profiled).
  const id = hash('sha256', text, 'hex').slice(0, 12);
  return { id, text };
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
