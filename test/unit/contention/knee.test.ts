import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { findKnee, KNEE_TOLERANCE } from '../../../harness/contention/knee.ts';

const curve = (...ops: number[]) => ops.map((opsPerSec, i) => ({ workers: 2 ** i, opsPerSec }));

describe('findKnee', () => {
  it('names the worker count after which throughput stops rising', () => {
    expect(findKnee(curve(100, 190, 350, 360, 340, 200))).toEqual({ workers: 4, opsPerSec: 350, stillRising: false });
  });

  it('says the curve is still rising when the best point is the last', () => {
    expect(findKnee(curve(100, 200, 400))).toEqual({ workers: 4, opsPerSec: 400, stillRising: true });
  });

  it('ignores a later bump within the tolerance but not beyond it', () => {
    expect(findKnee(curve(100, 200, 204, 150))?.workers).toBe(2);
    expect(findKnee(curve(100, 200, 150, 260))?.workers).toBe(8);
  });

  it('sorts points by worker count and has no knee without points', () => {
    expect(findKnee([{ workers: 8, opsPerSec: 10 }, { workers: 1, opsPerSec: 50 }])?.workers).toBe(1);
    expect(findKnee([])).toBeUndefined();
  });

  const points = fc.uniqueArray(fc.record({ workers: fc.integer({ min: 1, max: 4096 }), opsPerSec: fc.double({ min: 0, max: 1e7, noNaN: true }) }), {
    minLength: 1,
    maxLength: 10,
    selector: (p) => p.workers,
  });

  propTest.prop([points])('the knee is a measured point that no later point beats by more than the tolerance', (pts) => {
    const knee = findKnee(pts)!;
    expect(pts.some((p) => p.workers === knee.workers && p.opsPerSec === knee.opsPerSec)).toBe(true);
    for (const p of pts) if (p.workers > knee.workers) expect(p.opsPerSec).toBeLessThanOrEqual(knee.opsPerSec * (1 + KNEE_TOLERANCE));
    // and it is the first such point: every earlier point is beaten later by more than the tolerance
    for (const p of pts) {
      if (p.workers >= knee.workers) continue;
      expect(pts.some((q) => q.workers > p.workers && q.opsPerSec > p.opsPerSec * (1 + KNEE_TOLERANCE))).toBe(true);
    }
  });
});
