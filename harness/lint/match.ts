import type { BSON } from 'mongodb';
import { bsonType, isDoc, numberOf, visit, type OperationView } from './view.ts';

/**
 * Small pure predicates the rules are written with. Each reads a command part the
 * way the server parses it (the manual page or parser source is named where it
 * matters) and never throws on any value.
 */

type Document = BSON.Document;

/** Write commands whose statements change documents. */
const WRITES = new Set(['insert', 'update', 'delete', 'findAndModify']);

export function isWrite(op: OperationView): boolean {
  return WRITES.has(op.name);
}

/** Part of a multi-document transaction: `autocommit: false` beside a `txnNumber`. */
export function inTransaction(op: OperationView): boolean {
  return op.get('autocommit') === false && op.get('txnNumber') !== undefined;
}

export function errorCode(op: OperationView): number | undefined {
  const c = op.record.error?.code;
  return typeof c === 'number' ? c : undefined;
}

export function errorText(op: OperationView): string {
  return `${op.record.error?.codeName ?? ''} ${op.record.error?.message ?? ''}`;
}

/** A projection value that includes (1, true, any non-zero number). */
function includes(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const n = numberOf(v);
  return n === undefined ? undefined : n !== 0;
}

function isOperatorDoc(v: unknown): v is Document {
  return isDoc(v) && Object.keys(v).some((k) => k.startsWith('$'));
}

/** Projection keys that are one another's parent (`size` and `size.uom`), as [parent, child]. */
export function projectionCollisions(proj: Document): [string, string][] {
  const keys = Object.keys(proj).filter((k) => k !== '');
  const out: [string, string][] = [];
  for (const a of keys) for (const b of keys) if (a !== b && b.startsWith(`${a}.`)) out.push([a, b]);
  return out;
}

/** The 4.4 path-collision rule (31249/31250), apart from a `$slice` on the parent (its own rule). */
export function hasPlainCollision(proj: Document): boolean {
  return projectionCollisions(proj).some(([a, b]) => !hasOp(proj[a], '$slice') && !hasOp(proj[b], '$slice'));
}

export function hasSliceCollision(proj: Document): boolean {
  return projectionCollisions(proj).some(([a, b]) => hasOp(proj[a], '$slice') || hasOp(proj[b], '$slice'));
}

export function hasOp(v: unknown, op: string): boolean {
  return isDoc(v) && Object.hasOwn(v, op);
}

/** A `$`-prefixed path component other than the positional `$` itself (`$item`, `detail.$price`). */
export function hasDollarComponent(proj: Document): boolean {
  return Object.keys(proj).some((k) => k.split('.').some((c) => c.startsWith('$') && c !== '$'));
}

/** `a.$.c`: the positional operator not at the end of the path (SERVER-43334). */
export function hasPositionalMidPath(proj: Document): boolean {
  return Object.keys(proj).some((k) => {
    const parts = k.split('.');
    const at = parts.indexOf('$');
    return at >= 0 && at < parts.length - 1;
  });
}

/** `instock.$: {$slice: 1}`: a positional projection with an expression (31271). */
export function hasPositionalWithExpression(proj: Document): boolean {
  return Object.keys(proj).some((k) => (k === '$' || k.endsWith('.$')) && isDoc(proj[k]));
}

/** `""`, `a..b`, `a.`: an empty field name somewhere in a projection path. */
export function hasEmptyPathComponent(proj: Document): boolean {
  return Object.keys(proj).some((k) => k.split('.').some((c) => c === ''));
}

/** A projection value that is a string or an array: a literal from 4.4 on (agg-expression syntax). */
export function hasLiteralValue(proj: Document): boolean {
  return Object.values(proj).some((v) => typeof v === 'string' || Array.isArray(v));
}

/** Inclusions and exclusions mixed, `_id` aside. */
export function hasInclusionExclusionMix(proj: Document): boolean {
  let inc = false;
  let exc = false;
  for (const [k, v] of Object.entries(proj)) {
    if (k === '_id') continue;
    const i = includes(v);
    if (i === true) inc = true;
    else if (i === false) exc = true;
  }
  return inc && exc;
}

/** A `$elemMatch` projection beside other included fields: 4.4 emits it after them. */
export function elemMatchBesideIncluded(proj: Document): boolean {
  const keys = Object.keys(proj);
  return keys.some((k) => hasOp(proj[k], '$elemMatch')) && keys.some((k) => k !== '_id' && includes(proj[k]) === true);
}

/** `details.colors: {$slice: 1}` in an inclusion projection: 4.4 returns only the sliced path of `details`. */
export function nestedSliceInInclusion(proj: Document): boolean {
  const keys = Object.keys(proj);
  return keys.some((k) => k.includes('.') && hasOp(proj[k], '$slice')) && keys.some((k) => k !== '_id' && includes(proj[k]) === true);
}

/** `{$meta: "textScore"}` anywhere in the value. */
export function isTextScoreMeta(v: unknown): boolean {
  return isDoc(v) && v.$meta === 'textScore';
}

export function usesTextScore(op: OperationView): boolean {
  if (!op.operators.has('$meta')) return false;
  let found = false;
  visit(op.body, 0, (k, v) => {
    if (k === '$meta' && v === 'textScore') found = true;
  });
  return found;
}

/** The sort document has no `_id` (the one unique key lint knows without the indexes). */
export function sortLacksTieBreaker(sort: Document): boolean {
  const keys = Object.keys(sort);
  return keys.length > 0 && !keys.includes('_id') && !keys.some((k) => isOperatorDoc(sort[k]));
}

export function positive(v: unknown): boolean {
  const n = numberOf(v);
  return n !== undefined && n > 0;
}

/** A literal `null` compared for equality in a query predicate: `{f: null}`, `$eq`, `$in`, `$ne`, `$nin`. */
export function predicateMatchesNull(filter: Document, depth = 0): boolean {
  if (depth > 50) return false;
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' || k === '$or' || k === '$nor') {
      if (Array.isArray(v) && v.some((c) => isDoc(c) && predicateMatchesNull(c, depth + 1))) return true;
      continue;
    }
    if (k.startsWith('$')) continue; // $expr, $text, $where, $comment: not field equality
    if (v === null) return true;
    if (!isOperatorDoc(v)) continue;
    if (Object.hasOwn(v, '$eq') && v.$eq === null) return true;
    if (Object.hasOwn(v, '$ne') && v.$ne === null) return true;
    for (const listOp of ['$in', '$nin']) if (Array.isArray(v[listOp]) && (v[listOp] as unknown[]).includes(null)) return true;
    if (isDoc(v.$elemMatch) && predicateMatchesNull(v.$elemMatch, depth + 1)) return true;
    if (isDoc(v.$not) && (Object.hasOwn(v.$not, '$eq') ? v.$not.$eq === null : false)) return true;
  }
  return false;
}

/** `$lookup` with `localField`/`foreignField`: an equality join, where null and missing values match. */
export function equalityLookup(op: OperationView): boolean {
  return op.stages.some((s) => isDoc(s.$lookup) && typeof s.$lookup.localField === 'string');
}

/** Every value under an operator key, anywhere in the command. */
export function valuesOf(op: OperationView, operator: string): unknown[] {
  if (!op.operators.has(operator)) return [];
  const out: unknown[] = [];
  visit(op.body, 0, (k, v) => {
    if (k === operator) out.push(v);
  });
  return out;
}

export function isCode(v: unknown): boolean {
  return bsonType(v) === 'Code';
}

/** The statements' update documents of an update, or findAndModify's `update`. */
export function updateDocuments(op: OperationView): unknown[] {
  if (op.name === 'findAndModify') return [op.get('update')];
  if (op.name !== 'update') return [];
  const list = op.get('updates');
  return Array.isArray(list) ? list.filter(isDoc).map((s) => s.u) : [];
}

/** The `$readPreference` mode of the command, when one is sent. */
export function readPreferenceMode(op: OperationView): string | undefined {
  const rp = op.get('$readPreference');
  return isDoc(rp) && typeof rp.mode === 'string' ? rp.mode : undefined;
}
