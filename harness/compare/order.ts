import type { BSON } from 'mongodb';
import { commandKey } from '../model/command-name.ts';
import { childPath } from './path.ts';
import { describesServer } from '../model/server-commands.ts';
import { kindOf } from './value.ts';

/**
 * Order only where MongoDB defines it: the one rule set compare follows. A result or
 * array whose order the server does not promise compares as a multiset: the same
 * elements in another sequence are an `order` difference (class `order-only`, which
 * passes by default, so identical servers that return another order still pass), while
 * an element added, removed or changed is still a result difference. diff.ts applies
 * the rules; this file decides them. The manual's words, rule by rule:
 *
 * 1. find without `sort` (cursor.sort(), "Return in Natural Order"): natural order "is an
 *    internal implementation feature, and you should not rely on any particular ordering
 *    of the documents."
 * 2. Ties under a sort (cursor.sort() and $sort, "Sort Consistency"): "MongoDB does not
 *    store documents in a collection in a particular order. When sorting on a field which
 *    contains duplicate values, documents containing those values may be returned in any
 *    order." A sorted result must keep its sequence of sort keys; documents of equal keys
 *    may move (4.4 changed tie order: research row 13).
 * 3. `$group` ($group (aggregation)): "$group does not order its output documents." A
 *    pipeline's documents are ordered only by its last `$sort` (or `$sortByCount`) when
 *    every later stage keeps order (ORDER_KEEPING).
 * 4. `$addToSet` ($addToSet (aggregation), an accumulator of $group, $bucket, $bucketAuto,
 *    $setWindowFields): "Order of the elements in the output array is unspecified." The
 *    update operator says the same ($addToSet (update): "$addToSet does not guarantee a
 *    particular ordering of elements in the modified set"): the `value` findAndModify
 *    returns holds such an array. `$push` keeps the order of its input: not a multiset.
 * 5. `$setUnion`, `$setIntersection`, `$setDifference` ("Set Expression Operators"): "If
 *    the set operation returns a set, the operation filters out duplicates in the result
 *    to output an array that contains only unique entries. The order of the elements in
 *    the output array is unspecified." `$sortArray` over such a field orders it again.
 * 6. `distinct` (distinct): it "returns a document that contains an array of the distinct
 *    values", a set: the reference promises no order and the command takes no sort.
 * 7. `listIndexes`, `listCollections`, `listDatabases`: the reference describes what each
 *    entry holds, promises no order of the entries, and none of them takes a sort.
 * 8. Replies of server-describing commands (model/server-commands.ts): every array, at any
 *    depth, compares as a multiset (FerretDB's buildInfo lists `aggregationStages` in
 *    another order on every start); only their success is judged anyway, and their reply
 *    differences are shown apart from the application's.
 *
 * Arrays are named by generalised paths (path.ts): `reply.databases`, `docs[].skus`.
 */

/** Generalised paths of arrays whose order is not promised, or `all` (rule 8). */
export type UnorderedArrays = ReadonlySet<string> | 'all';

/**
 * What order a command's result promises:
 * - `sorted`: documents must come in sort-key order (ties may move, rule 2);
 * - `unordered`: the result (cursor documents, distinct values) is a multiset;
 * - `arrays`: arrays inside the reply or the documents that are multisets too (absent: none).
 */
export type ResultOrder =
  | { readonly kind: 'unordered'; readonly arrays?: UnorderedArrays }
  | { readonly kind: 'sorted'; readonly keys: readonly string[]; readonly arrays?: UnorderedArrays };

/** Stages after a $sort that keep the order of the documents they pass on. */
const ORDER_KEEPING = new Set(['$match', '$project', '$addFields', '$set', '$unset', '$limit', '$skip', '$unwind', '$lookup', '$redact', '$replaceRoot', '$replaceWith', '$count']);

/** Expressions whose value is an array in unspecified order (rule 5). */
const SET_EXPRESSIONS = new Set(['$setUnion', '$setIntersection', '$setDifference']);

/** Built once: most results need no allocation to say what they promise. */
const UNORDERED: ResultOrder = Object.freeze({ kind: 'unordered' });
const SERVER_REPLY: ResultOrder = Object.freeze({ kind: 'unordered', arrays: 'all' });
const LIST_DATABASES: ResultOrder = Object.freeze({ kind: 'unordered', arrays: new Set(['reply.databases']) });

/** `cmd` is the command name as recorded (the command's first key when absent). */
export function orderOf(command: BSON.Document, cmd?: string): ResultOrder {
  if (!isDoc(command)) return UNORDERED;
  const first = Object.keys(command)[0] ?? '';
  const name = commandKey(cmd ?? first);
  if (describesServer(name, command)) return SERVER_REPLY; // rule 8
  switch (name) {
    case 'find':
      return isDoc(command.sort) && Object.keys(command.sort).length > 0 ? { kind: 'sorted', keys: Object.keys(command.sort) } : UNORDERED; // rules 1, 2
    case 'aggregate':
      return Array.isArray(command.pipeline) ? pipelineOrder(command.pipeline as unknown[]) : UNORDERED;
    case 'listdatabases':
      return LIST_DATABASES; // rule 7 (listIndexes and listCollections are cursors: rule 7 via UNORDERED)
    case 'findandmodify':
      return findAndModifyOrder(command.update);
    default:
      return UNORDERED; // distinct (rule 6), listIndexes, listCollections (rule 7), count, …
  }
}

function isDoc(v: unknown): v is Record<string, unknown> {
  return kindOf(v) === 'document';
}

/**
 * A pipeline's promised order (rules 2, 3) and the fields of its output documents that
 * hold unordered arrays (rules 4, 5), followed stage by stage. Fields are kept as path
 * suffixes in path.ts notation (`.skus`, `.by.tags`, `.f[].skus` inside a $facet), so that
 * `docs[]` + suffix names the array in every document of the result.
 */
function pipelineOrder(pipeline: readonly unknown[]): ResultOrder {
  const { sortKeys, fields } = followPipeline(pipeline);
  const arrays = fields.size > 0 ? new Set([...fields].map((f) => `docs[]${f}`)) : undefined;
  if (sortKeys === null) return arrays ? { kind: 'unordered', arrays } : UNORDERED;
  return arrays ? { kind: 'sorted', keys: sortKeys, arrays } : { kind: 'sorted', keys: sortKeys };
}

function followPipeline(pipeline: readonly unknown[]): { sortKeys: string[] | null; fields: Set<string> } {
  let sortKeys: string[] | null = null;
  let fields = new Set<string>();
  for (const stage of pipeline) {
    if (!isDoc(stage)) continue;
    const op = Object.keys(stage)[0] ?? '';
    const spec = stage[op];
    switch (op) {
      case '$sort':
        if (isDoc(spec)) sortKeys = Object.keys(spec);
        break;
      case '$sortByCount':
        sortKeys = ['count'];
        fields = new Set();
        break;
      case '$group':
        // Only _id and the accumulators come out (rules 3, 4).
        fields = isDoc(spec) ? accumulatedSets(spec) : new Set();
        break;
      case '$bucket':
      case '$bucketAuto':
        fields = isDoc(spec) && isDoc(spec.output) ? accumulatedSets(spec.output) : new Set();
        break;
      case '$setWindowFields':
        if (isDoc(spec) && isDoc(spec.output)) for (const f of accumulatedSets(spec.output)) fields.add(f);
        break;
      case '$project':
        if (isDoc(spec)) fields = projected(spec, fields);
        break;
      case '$addFields':
      case '$set':
        if (isDoc(spec)) assign(spec, '', fields);
        break;
      case '$unset':
        for (const f of typeof spec === 'string' ? [spec] : Array.isArray(spec) ? spec : []) if (typeof f === 'string') dropUnder(fields, dotted(f));
        break;
      case '$unwind': {
        // Each element becomes its own document: the field is no longer an array.
        const path = typeof spec === 'string' ? spec : isDoc(spec) && typeof spec.path === 'string' ? spec.path : '';
        if (path.startsWith('$')) dropUnder(fields, dotted(path.slice(1)));
        break;
      }
      case '$facet':
        fields = isDoc(spec) ? facetSets(spec) : new Set();
        break;
      case '$replaceRoot':
      case '$replaceWith':
      case '$count':
        fields = new Set();
        break;
      default:
        // An unknown stage keeps the fields it does not know about: it cannot order them.
        break;
    }
    if (op !== '$sort' && op !== '$sortByCount' && !ORDER_KEEPING.has(op)) sortKeys = null;
  }
  return { sortKeys, fields };
}

/** `{ f: { $addToSet: … } }` → `.f` (rule 4). */
function accumulatedSets(spec: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(spec)) {
    if (k !== '_id' && isDoc(v) && Object.keys(v)[0] === '$addToSet') out.add(childPath('', k));
  }
  return out;
}

/** `$addFields`/`$set`: assigned fields lose what they held and gain what the expression makes. */
function assign(spec: Record<string, unknown>, prefix: string, fields: Set<string>): void {
  for (const [k, v] of Object.entries(spec)) {
    const path = prefix + dotted(k);
    const was = [...fields].filter((f) => within(f, path));
    dropUnder(fields, path);
    if (isSetExpression(v)) fields.add(path);
    else if (typeof v === 'string' && v.startsWith('$') && !v.startsWith('$$')) {
      // A copy of another field (`'$tags'`) carries its unordered arrays along.
      const from = dotted(v.slice(1));
      for (const f of [...fields, ...was]) if (within(f, from)) fields.add(path + f.slice(from.length));
    } else if (isDoc(v) && !Object.keys(v).some((key) => key.startsWith('$'))) assign(v, path, fields);
  }
}

/** `$project`: exclusion keeps what it does not drop; inclusion keeps only what it names. */
function projected(spec: Record<string, unknown>, fields: Set<string>): Set<string> {
  const excludes = (v: unknown): boolean => v === 0 || v === false || (kindOf(v) === 'number' && Number(v) === 0);
  const inclusion = Object.entries(spec).some(([k, v]) => k !== '_id' && !excludes(v));
  if (!inclusion) {
    const out = new Set(fields);
    for (const k of Object.keys(spec)) dropUnder(out, dotted(k));
    return out;
  }
  const out = new Set<string>();
  const computed: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) {
    if (excludes(v)) continue;
    const path = dotted(k);
    if (v === 1 || v === true || (kindOf(v) === 'number' && Number(v) !== 0)) {
      for (const f of fields) if (within(f, path)) out.add(f);
    } else computed[k] = v;
  }
  const after = new Set(fields);
  assign(computed, '', after);
  for (const k of Object.keys(computed)) for (const f of after) if (within(f, dotted(k))) out.add(f);
  return out;
}

/** `$facet`: each facet is an array of its sub-pipeline's documents. */
function facetSets(spec: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  for (const [k, sub] of Object.entries(spec)) {
    if (!Array.isArray(sub)) continue;
    const inner = followPipeline(sub);
    const f = childPath('', k);
    if (inner.sortKeys === null) out.add(f);
    for (const g of inner.fields) out.add(`${f}[]${g}`);
  }
  return out;
}

/** findAndModify with `$addToSet` in its update: those fields of `value` (rule 4). */
function findAndModifyOrder(update: unknown): ResultOrder {
  if (!isDoc(update) || !isDoc(update.$addToSet)) return UNORDERED;
  const arrays = new Set(Object.keys(update.$addToSet).map((k) => `reply.value${dotted(k)}`));
  return { kind: 'unordered', arrays };
}

function isSetExpression(v: unknown): boolean {
  return isDoc(v) && SET_EXPRESSIONS.has(Object.keys(v)[0] ?? '');
}

/** `a.b` (a dotted field path of the pipeline language) as a path.ts suffix `.a.b`. */
function dotted(field: string): string {
  return field.split('.').reduce((p, part) => childPath(p, part), '');
}

/** `f` is the field `path` or lies inside it. */
function within(f: string, path: string): boolean {
  return f === path || f.startsWith(`${path}.`) || f.startsWith(`${path}[`);
}

function dropUnder(fields: Set<string>, path: string): void {
  for (const f of [...fields]) if (within(f, path)) fields.delete(f);
}
