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
