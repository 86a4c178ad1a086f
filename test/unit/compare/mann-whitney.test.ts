import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { mannWhitneyGreater, normalCdf } from '../../../harness/compare/mann-whitney.ts';

describe('mannWhitneyGreater', () => {
  it('counts the pairs where y exceeds x (ties one half)', () => {
    expect(mannWhitneyGreater([1, 2, 3], [4, 5, 6]).u).toBe(9);
    expect(mannWhitneyGreater([4, 5, 6], [1, 2, 3]).u).toBe(0);
    expect(mannWhitneyGreater([1, 2], [2, 3]).u).toBe(3.5);
  });

  it('matches the normal approximation computed by hand for a small sample', () => {
    // x = 1..20, y = 11..30: y = 11..20 each beat y-1 x's and tie one (½): 145 + 5;
    // y = 21..30 beat all 20: 200. U = 350. Ten tie runs of 2: Σ(t³-t) = 60.
    const x = Array.from({ length: 20 }, (_, i) => i + 1);
    const y = Array.from({ length: 20 }, (_, i) => i + 11);
    const r = mannWhitneyGreater(x, y);
    expect(r.u).toBe(350);
    const sigma = Math.sqrt(((20 * 20) / 12) * (41 - 60 / (40 * 39)));
    expect(r.z).toBeCloseTo((350 - 200 - 0.5) / sigma, 10);
    expect(r.p).toBeCloseTo(1 - normalCdf(r.z), 12);
    expect(r.p).toBeLessThan(1e-4);
  });

  it('gives p = 1 with no samples or all values equal', () => {
    expect(mannWhitneyGreater([], [1]).p).toBe(1);
    expect(mannWhitneyGreater([5, 5, 5], [5, 5, 5]).p).toBe(1);
  });

  propTest.prop([fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: 1, maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: 1, maxLength: 60 })])(
    'U of y plus U of x is n1·n2, and p is a probability',
    (x, y) => {
      const a = mannWhitneyGreater(x, y);
      const b = mannWhitneyGreater(y, x);
      expect(a.u + b.u).toBeCloseTo(x.length * y.length, 9);
      expect(a.p).toBeGreaterThanOrEqual(0);
      expect(a.p).toBeLessThanOrEqual(1);
    },
  );

  it('normalCdf agrees with known quantiles', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-2.326348)).toBeCloseTo(0.01, 6);
  });
});
