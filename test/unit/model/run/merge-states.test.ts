import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { mergeStates } from '../../../../harness/model/run/merge.ts';
import type { CollectionSummary, RunState } from '../../../../harness/model/run/state.ts';

const summary = (ns: string, count: number): CollectionSummary => ({ ns, count, hash: `h${count}`, indexes: [] });
const state = (colls: Record<string, [number, number]>, differing: string[] = [], notes: string[] = []): RunState => ({
  baseline: 'base',
  targets: {
    base: Object.entries(colls).map(([ns, [b]]) => summary(ns, b)),
    cand: Object.entries(colls).map(([ns, [, c]]) => summary(ns, c)),
  },
  differences: differing.map((ns) => ({ candidate: 'cand', ns, method: 'documents' as const, missing: [], extra: ['{"$numberInt":"1"}'], changed: [] })),
  notes,
});

describe('merging the state after writes of shard runs', () => {
  it('keeps, per collection, the read-back of the run that ended last', () => {
    const early = { endedAt: '2026-12-01T10:00:00.000Z', dir: 's1', state: state({ 'shop.a': [1, 1], 'shop.b': [5, 6] }, ['shop.b'], ['cap hit']) };
    const late = { endedAt: '2026-12-01T10:05:00.000Z', dir: 's2', state: state({ 'shop.a': [3, 3] }) };
    const merged = mergeStates([early, late])!;
    expect(merged.targets.base!.map((c) => [c.ns, c.count])).toEqual([
      ['shop.a', 3],
      ['shop.b', 5],
    ]);
    expect(merged.targets.cand!.map((c) => [c.ns, c.count])).toEqual([
      ['shop.a', 3],
      ['shop.b', 6],
    ]);
    // shop.b was read back only by the earlier shard: its difference stays.
    expect(merged.differences.map((d) => d.ns)).toEqual(['shop.b']);
    expect(merged.notes).toContain('cap hit');
    expect(merged.notes.some((n) => n.includes('s1') && n.includes('s2'))).toBe(true);
    // A later read-back that agrees clears an earlier difference.
    const fixed = mergeStates([early, { ...late, state: state({ 'shop.b': [6, 6] }) }])!;
    expect(fixed.differences).toEqual([]);
  });

  it('has nothing to merge when no run replayed writes', () => {
    expect(mergeStates([])).toBeUndefined();
  });

  test.prop([fc.array(fc.record({ endedAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), colls: fc.dictionary(fc.constantFrom('d.a', 'd.b', 'd.c'), fc.tuple(fc.nat(9), fc.nat(9))) }), { minLength: 1, maxLength: 4 })])(
    'holds each collection once per target, taken from one run',
    (runs) => {
      const merged = mergeStates(runs.map((r, i) => ({ endedAt: r.endedAt, dir: `s${i}`, state: state(r.colls, Object.keys(r.colls)) })))!;
      const nss = new Set(runs.flatMap((r) => Object.keys(r.colls)));
      for (const list of Object.values(merged.targets)) expect(list.map((c) => c.ns)).toEqual([...nss].sort());
      expect(merged.differences.map((d) => d.ns)).toEqual([...nss].sort());
    },
  );
});
