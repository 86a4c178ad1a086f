import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { collectionDifference, indexDifference, StateJoin } from '../../../harness/replay/state-join.ts';

function join(base: [string, string][], cand: [string, string][], limit = 10, maxPending = 1_000_000) {
  const j = new StateJoin(limit, maxPending);
  // Interleaved, as the fetcher reads both sides in turn.
  for (let i = 0; i < Math.max(base.length, cand.length); i++) {
    if (base[i]) j.baseline(...base[i]!);
    if (cand[i]) j.candidate(...cand[i]!);
  }
  return j;
}

describe('StateJoin', () => {
  it('finds changed, missing and extra documents by _id', () => {
    const r = join(
      [['1', 'h1'], ['2', 'h2'], ['3', 'h3']],
      [['1', 'h1'], ['2', 'H2'], ['4', 'h4']],
    ).finish();
    expect(r).toEqual({ missing: ['3'], extra: ['4'], changed: ['2'], totals: { missing: 1, extra: 1, changed: 1 } });
  });

  it('joins sides that return the same documents in another order', () => {
    const r = join(
      [['a', '1'], ['b', '2'], ['c', '3']],
      [['c', '3'], ['a', '1'], ['b', '2']],
    ).finish();
    expect(r.totals).toEqual({ missing: 0, extra: 0, changed: 0 });
  });

  it('names at most `limit` ids per kind but counts them all', () => {
    const base = Array.from({ length: 50 }, (_, i) => [String(i), 'h'] as [string, string]);
    const r = join(base, [], 5).finish();
    expect(r.missing).toHaveLength(5);
    expect(r.totals.missing).toBe(50);
  });

  it('gives up naming documents past maxPending keys', () => {
    const base = Array.from({ length: 20 }, (_, i) => [`b${i}`, 'h'] as [string, string]);
    const cand = Array.from({ length: 20 }, (_, i) => [`c${i}`, 'h'] as [string, string]);
    const j = join(base, cand, 10, 8);
    expect(j.overflow).toBe(true);
  });

  propTest.prop([fc.uniqueArray(fc.tuple(fc.string(), fc.constantFrom('x', 'y')), { selector: (t) => t[0], maxLength: 40 }), fc.uniqueArray(fc.tuple(fc.string(), fc.constantFrom('x', 'y')), { selector: (t) => t[0], maxLength: 40 })])(
    'agrees with a set comparison whatever the order',
    (base, cand) => {
      const r = join(base, [...cand].reverse(), 1000).finish();
      const b = new Map(base);
      const c = new Map(cand);
      expect(new Set(r.missing)).toEqual(new Set([...b.keys()].filter((k) => !c.has(k))));
      expect(new Set(r.extra)).toEqual(new Set([...c.keys()].filter((k) => !b.has(k))));
      expect(new Set(r.changed)).toEqual(new Set([...b.keys()].filter((k) => c.has(k) && c.get(k) !== b.get(k))));
    },
  );
});

describe('collectionDifference', () => {
  const same = { count: 2, hash: 'aa', indexes: ['{"key":{"_id":1}}'] };

  it('is nothing when count, hash and indexes agree', () => {
    expect(collectionDifference('c', 'd.x', same, { ...same }, { missing: [], extra: [], changed: [], totals: { missing: 0, extra: 0, changed: 0 } })).toBeUndefined();
  });

  it('reports an index only one side has', () => {
    const d = collectionDifference('c', 'd.x', same, { ...same, indexes: [...same.indexes, '{"key":{"a":1}}'] }, undefined);
    expect(d).toMatchObject({ ns: 'd.x', method: 'hash', indexes: { missing: [], extra: ['{"key":{"a":1}}'] } });
  });

  it('falls back to count and hash when the join overflowed', () => {
    expect(collectionDifference('c', 'd.x', same, { ...same, hash: 'bb' }, undefined)).toMatchObject({ method: 'hash', baselineCount: 2, candidateCount: 2, changed: [] });
  });

  it('lists index specs present on one side only', () => {
    expect(indexDifference(['a', 'b'], ['b', 'c'])).toEqual({ missing: ['a'], extra: ['c'] });
  });
});
