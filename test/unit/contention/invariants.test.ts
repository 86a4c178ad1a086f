import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { checkCounters, checkLocks, checkQueue, invariantReport, MAX_EXAMPLES } from '../../../harness/contention/invariants.ts';

describe('checkQueue', () => {
  it('passes when every job was claimed once by the worker the server names', () => {
    const claims = [{ jobId: 'a', worker: 1 }, { jobId: 'b', worker: 2 }];
    const finals = [{ jobId: 'a', status: 'done', worker: 1 }, { jobId: 'b', status: 'done', worker: 2 }, { jobId: 'c', status: 'pending', worker: undefined }];
    expect(checkQueue(claims, finals)).toEqual([]);
  });

  it('catches a job claimed twice, a claim nobody recorded and a wrong owner', () => {
    const v = checkQueue(
      [{ jobId: 'a', worker: 1 }, { jobId: 'a', worker: 2 }, { jobId: 'b', worker: 3 }],
      [{ jobId: 'a', status: 'done', worker: 2 }, { jobId: 'b', status: 'running', worker: 4 }, { jobId: 'z', status: 'running', worker: 9 }],
    );
    expect(v.map((x) => x.kind).sort()).toEqual(['job-claimed-twice', 'job-claimed-without-record', 'job-owner-mismatch']);
  });

  propTest.prop([fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 50 }), fc.nat()])(
    'flags exactly the duplicated job when one claim is repeated',
    (ids, at) => {
      const claims = ids.map((jobId, i) => ({ jobId, worker: i % 4 }));
      expect(checkQueue(claims, [])).toEqual([]);
      const dup = claims[at % claims.length]!;
      const v = checkQueue([...claims, { jobId: dup.jobId, worker: 99 }], []);
      expect(v).toHaveLength(1);
      expect(v[0]!.kind).toBe('job-claimed-twice');
      expect(v[0]!.detail).toContain(dup.jobId);
    },
  );
});

describe('checkLocks', () => {
  it('allows back-to-back holders and catches overlapping ones', () => {
    const seq = [{ lock: 'L', worker: 1, from: 0, to: 5 }, { lock: 'L', worker: 2, from: 5, to: 9 }, { lock: 'M', worker: 3, from: 1, to: 8 }];
    expect(checkLocks(seq)).toEqual([]);
    const v = checkLocks([...seq, { lock: 'L', worker: 4, from: 4, to: 6 }]);
    expect(v.length).toBeGreaterThan(0);
    expect(v.every((x) => x.kind === 'lock-two-holders')).toBe(true);
  });

  propTest.prop([fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 50 })), { minLength: 1, maxLength: 30 })])(
    'never flags disjoint spans, in any order',
    (gaps) => {
      let t = 0;
      const holds = gaps.map(([gap, len], i) => {
        const from = t + gap;
        t = from + len;
        return { lock: 'L', worker: i, from, to: t };
      });
      expect(checkLocks(holds.reverse())).toEqual([]);
    },
  );
});

describe('checkCounters / invariantReport', () => {
  it('catches a lost update and keeps at most MAX_EXAMPLES examples', () => {
    expect(checkCounters(10, 10)).toEqual([]);
    expect(checkCounters(10, 7)[0]!.kind).toBe('counter-lost-update');
    const many = Array.from({ length: 50 }, (_, i) => ({ kind: 'lock-two-holders' as const, detail: String(i) }));
    const r = invariantReport(['x'], many);
    expect(r.violations).toBe(50);
    expect(r.examples).toHaveLength(MAX_EXAMPLES);
  });
});
