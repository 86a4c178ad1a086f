import fc from 'fast-check';
import type { Document } from 'mongodb';
import type { Dataset, Scenario, ScenarioOp } from '../../../scenarios/lib/model.ts';

/**
 * fast-check arbitraries for the command families the scenarios send (find with
 * projection/sort/limit/batchSize, aggregate with $match/$group/$sort, findAndModify,
 * insert, update with operators and upserts, delete, ordered and unordered bulk
 * writes, count, distinct, createIndexes/listIndexes through runCommand), over one
 * small seeded collection. Every generated operation is deterministic on any server
 * seeded alike: sorts end on `_id`, upserts name their `_id`, results without a
 * defined order are compared as multisets by the comparator.
 */
export const ITEMS = 'items';
const KEYS = ['red', 'green', 'blue'] as const;

export function itemsDataset(size = 30): Dataset {
  return { collections: [{ name: ITEMS, docs: Array.from({ length: size }, (_, i) => ({ _id: i, a: (i * 7) % 11, b: KEYS[i % 3], tags: [`t${i % 4}`] })) }] };
}

const id = fc.integer({ min: 0, max: 60 });
const small = fc.integer({ min: 0, max: 12 });
const key = fc.constantFrom(...KEYS);

export const filterArb: fc.Arbitrary<Document> = fc.oneof(
  small.map((n) => ({ a: { $gte: n } })),
  key.map((b) => ({ b })),
  id.map((n) => ({ _id: n })),
  fc.tuple(small, key).map(([n, b]) => ({ a: { $lt: n }, b })),
  fc.constant({}),
);

const sortArb = fc.constantFrom<Document>({ _id: 1 }, { a: 1, _id: 1 }, { a: -1, _id: -1 }, { b: 1, a: -1, _id: 1 });

export const findArb: fc.Arbitrary<ScenarioOp> = fc.record({
  filter: filterArb,
  projection: fc.option(fc.constantFrom<Document>({ a: 1 }, { tags: 0 }, { _id: 0, b: 1, a: 1 }), { nil: undefined }),
  sort: fc.option(sortArb, { nil: undefined }),
  limit: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
  batchSize: fc.option(fc.integer({ min: 2, max: 10 }), { nil: undefined }),
}).map((r) => ({ op: 'find', coll: ITEMS, filter: r.filter, ...(r.projection ? { projection: r.projection } : {}), ...(r.sort ? { sort: r.sort } : {}), ...(r.limit ? { limit: r.limit } : {}), ...(r.batchSize ? { batchSize: r.batchSize } : {}) }));

export const aggregateArb: fc.Arbitrary<ScenarioOp> = fc
  .tuple(filterArb, fc.constantFrom('$b', '$a'), fc.boolean())
  .map(([match, by, disk]) => ({ op: 'aggregate', coll: ITEMS, pipeline: [{ $match: match }, { $group: { _id: by, n: { $sum: 1 }, total: { $sum: '$a' } } }, { $sort: { _id: 1 } }], ...(disk ? { allowDiskUse: true } : {}) }));

export const findAndModifyArb: fc.Arbitrary<ScenarioOp> = fc
  .tuple(filterArb, small, sortArb, fc.boolean())
  .map(([filter, inc, sort, returnNew]) => ({ op: 'findOneAndUpdate', coll: ITEMS, filter, update: { $inc: { a: inc } }, sort, returnNew }));

export const insertArb: fc.Arbitrary<ScenarioOp> = fc
  .uniqueArray(fc.integer({ min: 100, max: 400 }), { minLength: 1, maxLength: 4 })
  .map((ids) => (ids.length === 1 ? { op: 'insertOne', coll: ITEMS, doc: { _id: ids[0]!, a: 1, b: 'new' } } : { op: 'insertMany', coll: ITEMS, docs: ids.map((i) => ({ _id: i, a: i % 5, b: 'new' })) }));

export const updateArb: fc.Arbitrary<ScenarioOp> = fc.oneof(
  fc.tuple(filterArb, small).map(([filter, n]): ScenarioOp => ({ op: 'updateMany', coll: ITEMS, filter, update: { $set: { c: n }, $inc: { a: 1 } } })),
  fc.tuple(id, small).map(([i, n]): ScenarioOp => ({ op: 'updateOne', coll: ITEMS, filter: { _id: i }, update: { $set: { a: n } }, upsert: true })),
  fc.tuple(key, small).map(([b, n]): ScenarioOp => ({ op: 'updateMany', coll: ITEMS, filter: { b, z: n }, update: { $set: { seen: true }, $setOnInsert: { _id: `u-${b}-${n}` } }, upsert: true })),
);

export const deleteArb: fc.Arbitrary<ScenarioOp> = fc.oneof(
  id.map((i): ScenarioOp => ({ op: 'deleteOne', coll: ITEMS, filter: { _id: i } })),
  small.map((n): ScenarioOp => ({ op: 'deleteMany', coll: ITEMS, filter: { a: n } })),
);

export const bulkArb: fc.Arbitrary<ScenarioOp> = fc
  .tuple(fc.array(fc.tuple(id, small, fc.constantFrom('update', 'replace', 'delete')), { minLength: 1, maxLength: 8 }), fc.boolean())
  .map(([items, ordered]) => ({
    op: 'bulkWrite',
    coll: ITEMS,
    ordered,
    writes: items.map(([i, n, kind]) =>
      kind === 'update' ? { updateOne: { filter: { _id: i }, update: { $set: { a: n } }, upsert: true } } : kind === 'replace' ? { replaceOne: { filter: { _id: i }, replacement: { a: n, b: 'r' }, upsert: true } } : { deleteOne: { filter: { _id: i } } },
    ),
  }));

export const countArb: fc.Arbitrary<ScenarioOp> = fc.oneof(
  filterArb.map((filter): ScenarioOp => ({ op: 'countDocuments', coll: ITEMS, filter })),
  filterArb.map((filter): ScenarioOp => ({ op: 'distinct', coll: ITEMS, key: 'b', filter })),
);

export const commandArb: fc.Arbitrary<ScenarioOp> = fc.oneof(
  fc.constantFrom('a', 'b').map((f): ScenarioOp => ({ op: 'runCommand', command: { createIndexes: ITEMS, indexes: [{ key: { [f]: 1 }, name: `${f}_1` }] } })),
  fc.constant<ScenarioOp>({ op: 'runCommand', command: { listIndexes: ITEMS } }),
);

export const opArb: fc.Arbitrary<ScenarioOp> = fc.oneof(findArb, aggregateArb, findAndModifyArb, insertArb, updateArb, deleteArb, bulkArb, countArb, commandArb);

/** A generated workload as a scenario of its own database. */
export function workloadScenario(db: string, ops: readonly ScenarioOp[]): Scenario {
  return { name: db, app: 'generated', summary: 'generated workload', db, client: { connect: 'direct', maxPoolSize: 1 }, dataset: () => itemsDataset(), operations: () => ops };
}
