import { fc, test as propTest } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { classifyPair } from '../../../harness/compare/classify.ts';
import { normaliseSide } from '../../../harness/compare/normalise.ts';
import { orderOf } from '../../../harness/compare/order.ts';
import { MASKED_PATHS } from '../../../harness/compare/volatile.ts';

const filters = { ignorePaths: MASKED_PATHS };

function pair(command: BSON.Document, a: BSON.Document[], b: BSON.Document[]) {
  const side = (docs: BSON.Document[]) => normaliseSide({ status: 'ok', reply: { cursor: { firstBatch: [], id: 0, ns: 'd.c' }, ok: 1 }, docs }, 'find');
  return classifyPair(1, side(a), side(b), orderOf(command), filters);
}

/** Documents with distinct _id and a `rank` from a small range, so ties happen. */
const docs = fc
  .uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 30 })
  .chain((ids) => fc.tuple(fc.constant(ids), fc.array(fc.integer({ min: 0, max: 5 }), { minLength: ids.length, maxLength: ids.length })))
  .map(([ids, ranks]) => ids.map((id, i) => ({ _id: new BSON.Int32(id), rank: new BSON.Int32(ranks[i]!), s: `v${id}` })));

describe('result order', () => {
  propTest.prop([docs, fc.func(fc.integer())])('shuffling an unsorted result never makes a difference', (list, f) => {
    const shuffled = [...list].sort((x, y) => f(x._id.value) - f(y._id.value) || x._id.value - y._id.value);
    const p = pair({ find: 'c', filter: {} }, list, shuffled);
    expect(['identical', 'order-only']).toContain(p.class);
    expect(p.diffs.every((d) => d.kind === 'order')).toBe(true);
  });

  propTest.prop([docs, fc.func(fc.integer())])('shuffling a sorted result makes a difference unless only ties moved', (list, f) => {
    const sorted = [...list].sort((x, y) => x.rank.value - y.rank.value);
    const shuffled = [...sorted].sort((x, y) => f(x._id.value) - f(y._id.value) || x._id.value - y._id.value);
    const p = pair({ find: 'c', filter: {}, sort: { rank: 1 } }, sorted, shuffled);
    const ranksKept = shuffled.every((d, i) => d.rank.value === sorted[i]!.rank.value);
    if (ranksKept) expect(['identical', 'order-only']).toContain(p.class);
    else {
      expect(p.class).toBe('result-differs');
      expect(p.diffs).toEqual([expect.objectContaining({ path: 'docs', kind: 'sort-order' })]);
    }
  });

  it('pairs changed documents by _id and reports the changed field at its path', () => {
    const a = [{ _id: 1, v: 'x' }, { _id: 2, v: 'y' }];
    const b = [{ _id: 2, v: 'Y' }, { _id: 1, v: 'x' }];
    const p = pair({ find: 'c' }, a, b);
    expect(p.class).toBe('result-differs');
    expect(p.diffs.map((d) => `${d.kind} ${d.path}`)).toEqual(['value docs[1].v', 'order docs']);
  });

  it('reads the promised order from find sort and from the last ordering stage of a pipeline', () => {
    expect(orderOf({ find: 'c', sort: { a: 1, b: -1 } })).toEqual({ kind: 'sorted', keys: ['a', 'b'] });
    expect(orderOf({ find: 'c', sort: {} })).toEqual({ kind: 'unordered' });
    expect(orderOf({ aggregate: 'c', pipeline: [{ $sort: { a: 1 } }, { $project: { a: 1 } }, { $limit: 5 }] })).toEqual({ kind: 'sorted', keys: ['a'] });
    expect(orderOf({ aggregate: 'c', pipeline: [{ $sort: { a: 1 } }, { $group: { _id: '$a' } }] })).toEqual({ kind: 'unordered' });
    expect(orderOf({ aggregate: 'c', pipeline: [{ $sortByCount: '$a' }] })).toEqual({ kind: 'sorted', keys: ['count'] });
  });
});

describe('classifyPair on garbage', () => {
  propTest.prop([fc.anything(), fc.anything(), fc.anything(), fc.constantFrom('ok', 'error', 'skipped')])(
    'never throws, whatever the replies, documents and command hold',
    (reply, docs, command, status) => {
      const side = (r: unknown) => normaliseSide({ status, reply: r as BSON.Document, docs: docs as BSON.Document[] }, 'find');
      expect(() => classifyPair(1, side(reply), side(docs), orderOf(command as BSON.Document), filters)).not.toThrow();
    },
  );
});

describe('sorted results with changed documents', () => {
  it('does not call moved ties a sort-order difference when a document also changed', () => {
    const cmd = { find: 'c', sort: { rank: 1 } };
    const a = [{ _id: 1, rank: 1, v: 'a' }, { _id: 2, rank: 1, v: 'b' }, { _id: 3, rank: 2, v: 'c' }];
    const b = [{ _id: 2, rank: 1, v: 'b' }, { _id: 1, rank: 1, v: 'a' }, { _id: 3, rank: 2, v: 'C' }];
    expect(pair(cmd, a, b).diffs.map((d) => `${d.kind} ${d.path}`)).toEqual(['value docs[2].v', 'order docs']);
    const c = [{ _id: 3, rank: 2, v: 'C' }, { _id: 1, rank: 1, v: 'a' }, { _id: 2, rank: 1, v: 'b' }];
    expect(pair(cmd, a, c).diffs.map((d) => `${d.kind} ${d.path}`)).toEqual(['value docs[2].v', 'sort-order docs']);
  });
});

describe('order rules: where MongoDB promises no order', () => {
  const arrays = (command: BSON.Document): string[] => {
    const a = orderOf(command).arrays;
    return a === undefined ? [] : a === 'all' ? ['all'] : [...a].sort();
  };
  const reply = (fields: BSON.Document) => normaliseSide({ status: 'ok', reply: { ...fields, ok: 1 } }, Object.keys(fields)[0] ?? 'x');
  const cursor = (docs: BSON.Document[]) => normaliseSide({ status: 'ok', reply: { cursor: { firstBatch: [], id: 0, ns: 'd.c' }, ok: 1 }, docs }, 'aggregate');

  it('names the arrays $addToSet and set expressions make, and forgets them when a stage orders or replaces them', () => {
    expect(arrays({ aggregate: 'c', pipeline: [{ $group: { _id: '$k', skus: { $addToSet: '$sku' }, all: { $push: '$sku' } } }] })).toEqual(['docs[].skus']);
    expect(arrays({ aggregate: 'c', pipeline: [{ $project: { u: { $setUnion: ['$a', '$b'] }, i: { $setIntersection: ['$a', '$b'] }, s: { $size: '$a' } } }] })).toEqual(['docs[].i', 'docs[].u']);
    expect(arrays({ aggregate: 'c', pipeline: [{ $addFields: { 'by.tags': { $setDifference: ['$a', '$b'] } } }] })).toEqual(['docs[].by.tags']);
    // $sortArray orders the set again; $unwind makes one document per element; a $group replaces every field.
    expect(arrays({ aggregate: 'c', pipeline: [{ $group: { _id: 1, s: { $addToSet: '$x' } } }, { $set: { s: { $sortArray: { input: '$s', sortBy: 1 } } } }] })).toEqual([]);
    expect(arrays({ aggregate: 'c', pipeline: [{ $group: { _id: 1, s: { $addToSet: '$x' } } }, { $unwind: '$s' }] })).toEqual([]);
    expect(arrays({ aggregate: 'c', pipeline: [{ $group: { _id: 1, s: { $addToSet: '$x' } } }, { $group: { _id: '$s', n: { $sum: 1 } } }] })).toEqual([]);
    // A copy carries the set; an inclusion projection keeps only what it names; an exclusion drops what it names.
    expect(arrays({ aggregate: 'c', pipeline: [{ $group: { _id: 1, s: { $addToSet: '$x' }, t: { $addToSet: '$y' } } }, { $project: { s: 1, copy: '$t' } }] })).toEqual(['docs[].copy', 'docs[].s']);
    expect(arrays({ aggregate: 'c', pipeline: [{ $group: { _id: 1, s: { $addToSet: '$x' }, t: { $addToSet: '$y' } } }, { $project: { t: 0 } }] })).toEqual(['docs[].s']);
    // Inside a $facet: the facet's documents (no sort) and the sets inside them.
    expect(arrays({ aggregate: 'c', pipeline: [{ $facet: { byK: [{ $group: { _id: '$k', s: { $addToSet: '$x' } } }], top: [{ $sort: { n: -1 } }, { $limit: 3 }] } }] })).toEqual(['docs[].byK', 'docs[].byK[].s']);
    expect(arrays({ findAndModify: 'c', query: {}, update: { $addToSet: { tags: 'x' } }, new: true })).toEqual(['reply.value.tags']);
    expect(arrays({ listDatabases: 1 })).toEqual(['reply.databases']);
    expect(arrays({ buildInfo: 1 })).toEqual(['all']);
    expect(arrays({ find: 'c', filter: {} })).toEqual([]);
  });

  it('keeps the promised order of documents: $group unorders them, a later $sort orders them again', () => {
    expect(orderOf({ aggregate: 'c', pipeline: [{ $group: { _id: '$k', s: { $addToSet: '$x' } } }, { $sort: { _id: 1 } }] })).toMatchObject({ kind: 'sorted', keys: ['_id'] });
    expect(orderOf({ aggregate: 'c', pipeline: [{ $sort: { a: 1 } }, { $group: { _id: '$a', s: { $addToSet: '$x' } } }] })).toMatchObject({ kind: 'unordered' });
    for (const command of [{ distinct: 'c', key: 'k' }, { listIndexes: 'c' }, { listCollections: 1 }]) expect(orderOf(command)).toEqual({ kind: 'unordered' });
  });

  it('compares a $group with $addToSet as multisets: reordered sets and groups are order-only, a set that gained a value is a result difference', () => {
    const command = { aggregate: 'c', pipeline: [{ $group: { _id: '$k', skus: { $addToSet: '$sku' } } }] };
    const base = [{ _id: 'a', skus: ['x', 'y', 'z'] }, { _id: 'b', skus: ['q'] }];
    const reordered = [{ _id: 'b', skus: ['q'] }, { _id: 'a', skus: ['z', 'x', 'y'] }];
    const o = orderOf(command);
    expect(classifyPair(1, cursor(base), cursor(reordered), o, filters).class).toBe('order-only');
    expect(classifyPair(1, cursor(base), cursor([{ _id: 'a', skus: ['y', 'x', 'z'] }, { _id: 'b', skus: ['q'] }]), o, filters)).toMatchObject({ class: 'order-only', diffs: [{ path: 'docs[0].skus', kind: 'order' }] });
    const grown = classifyPair(1, cursor(base), cursor([{ _id: 'b', skus: ['q'] }, { _id: 'a', skus: ['z', 'w', 'x', 'y'] }]), o, filters);
    expect(grown.class).toBe('result-differs');
    expect(grown.diffs).toEqual(expect.arrayContaining([{ path: 'docs[0].skus[1]', kind: 'extra', candidate: '"w"' }]));
    // $push keeps its input's order: the same values in another order are a difference.
    const pushed = orderOf({ aggregate: 'c', pipeline: [{ $group: { _id: '$k', skus: { $push: '$sku' } } }] });
    expect(classifyPair(1, cursor([{ _id: 'a', skus: ['x', 'y'] }]), cursor([{ _id: 'a', skus: ['y', 'x'] }]), pushed, filters).class).toBe('result-differs');
  });

  it('compares listDatabases entries as a multiset, yet sees a database that went missing', () => {
    const o = orderOf({ listDatabases: 1 });
    const dbs = [{ name: 'admin', empty: false }, { name: 'shop', empty: false }, { name: 'local', empty: false }];
    expect(classifyPair(1, reply({ databases: dbs }), reply({ databases: [dbs[2], dbs[0], dbs[1]] }), o, filters).class).toBe('order-only');
    const lost = classifyPair(1, reply({ databases: dbs }), reply({ databases: [dbs[2], dbs[0]] }), o, filters);
    expect(lost.class).toBe('result-differs');
    expect(lost.diffs).toEqual(expect.arrayContaining([{ path: 'reply.databases[1]', kind: 'missing', baseline: '{"name":"shop","empty":false}' }]));
    expect(lost.diffs.every((d) => d.kind === 'missing' || d.kind === 'order')).toBe(true);
  });

  propTest.prop([fc.uniqueArray(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 8 }), fc.func(fc.integer()), fc.string({ maxLength: 4 })])(
    'a shuffled distinct is never a result difference; one value more always is',
    (values, f, more) => {
      const side = (v: string[]) => normaliseSide({ status: 'ok', reply: { values: v, ok: 1 } }, 'distinct');
      const shuffled = [...values].sort((x, y) => f(x) - f(y) || x.localeCompare(y));
      const o = orderOf({ distinct: 'c', key: 'k' });
      expect(['identical', 'order-only']).toContain(classifyPair(1, side(values), side(shuffled), o, filters).class);
      if (!values.includes(more)) expect(classifyPair(1, side(values), side([...shuffled, more]), o, filters).class).toBe('result-differs');
    },
  );
});
