import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { criticalCount, half, normalCdf, signedRankInterval, walshKth } from '../../../harness/compare/signed-rank.ts';
import { gauss, rng } from './latency-sim.ts';

const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

/** Every Walsh average, ascending: the definition the fast selection must agree with. */
function walshAll(d: readonly number[]): number[] {
  const w: number[] = [];
  for (let i = 0; i < d.length; i++) for (let j = i; j < d.length; j++) w.push(half(d[i]!, d[j]!));
  return w.sort((a, b) => a - b);
}

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
/** Log ratios as they come: small values, many ties (equal latencies give 0). */
const logRatios = fc.array(fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }), fc.integer({ min: -2, max: 2 })), { minLength: 1, maxLength: 40 });
const level = fc.double({ min: 0.01, max: 0.999, noNaN: true });

describe('walshKth', () => {
  propTest.prop([logRatios])('finds every order statistic of the Walsh averages', (xs) => {
    const d = sorted(xs);
    const all = walshAll(d);
    // `===`, not Object.is: -0 and 0 are the same order statistic (a tie of equal latencies).
    for (let k = 1; k <= all.length; k++) expect(walshKth(d, k) === all[k - 1]).toBe(true);
  });

  propTest.prop([fc.array(finite, { minLength: 1, maxLength: 12 })])('agrees on any finite doubles, huge and tiny', (xs) => {
    const d = sorted(xs);
    const all = walshAll(d);
    for (const k of [1, (all.length + 1) >> 1, all.length]) expect(walshKth(d, k) === all[k - 1]).toBe(true);
  });
});

describe('criticalCount', () => {
  it('matches the published critical values of the signed-rank test', () => {
    // Two-sided 5%: T ≤ 8 rejects at n = 10, T ≤ 52 at n = 20 (Hollander, Wolfe & Chicken, table A.4).
    expect(criticalCount(10, 0.95).count).toBe(9);
    expect(criticalCount(20, 0.95).count).toBe(53);
    // Two-sided 1% at n = 30: T ≤ 109.
    expect(criticalCount(30, 0.99).count).toBe(110);
    expect(criticalCount(10, 0.95).coverage).toBeCloseTo(1 - 2 * (25 / 1024), 12);
  });

  it('moves from the exact distribution to the normal one without a jump', () => {
    const exact = criticalCount(100, 0.99);
    const normal = criticalCount(101, 0.99);
    // C grows by about (n+1)/2 from n to n+1 at this level.
    expect(normal.count - exact.count).toBeGreaterThan(30);
    expect(normal.count - exact.count).toBeLessThan(40);
    expect(Math.abs(normal.coverage - exact.coverage)).toBeLessThan(0.001);
  });

  it('has no interval below 8 differences at 99%, and one from 8 on', () => {
    expect(criticalCount(7, 0.99).count).toBe(0);
    expect(criticalCount(7, 0.99).coverage).toBeLessThan(0.99);
    expect(criticalCount(8, 0.99).count).toBe(1);
    expect(criticalCount(8, 0.99).coverage).toBeGreaterThanOrEqual(0.99);
  });

  propTest.prop([fc.integer({ min: 1, max: 400 }), level, level])('never gives less coverage for more confidence', (n, a, b) => {
    const [lo, hi] = a < b ? [a, b] : [b, a];
    expect(criticalCount(n, hi).count).toBeLessThanOrEqual(criticalCount(n, lo).count);
    expect(criticalCount(n, hi).coverage).toBeGreaterThanOrEqual(criticalCount(n, lo).coverage);
  });

  it('normalCdf is the standard normal CDF', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-2.575829)).toBeCloseTo(0.005, 6);
  });
});

describe('signedRankInterval', () => {
  it('gives the Hodges-Lehmann estimate and the textbook interval', () => {
    // 1..10: the Walsh averages' median is 5.5; at 90% C = 11, the 11th smallest and largest.
    expect(signedRankInterval([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toMatchObject({ n: 10, estimate: 5.5, lower: 3.5, upper: 7.5 });
    expect(signedRankInterval([], 0.99)).toBeNull();
    expect(signedRankInterval([4], 0.99)).toMatchObject({ estimate: 4, lower: 4, upper: 4 });
  });

  propTest.prop([logRatios, level, level])('narrows as the confidence falls: a lower level gives an interval inside the higher one', (xs, a, b) => {
    const d = sorted(xs);
    const [lo, hi] = a < b ? [a, b] : [b, a];
    const narrow = signedRankInterval(d, lo)!;
    const wide = signedRankInterval(d, hi)!;
    expect(wide.lower).toBeLessThanOrEqual(narrow.lower);
    expect(wide.upper).toBeGreaterThanOrEqual(narrow.upper);
    expect(wide.coverage).toBeGreaterThanOrEqual(narrow.coverage);
  });

  propTest.prop([logRatios, level])('always holds its estimate, within the range of the sample', (xs, c) => {
    const d = sorted(xs);
    const iv = signedRankInterval(d, c)!;
    expect(iv.lower).toBeLessThanOrEqual(iv.estimate);
    expect(iv.estimate).toBeLessThanOrEqual(iv.upper);
    expect(iv.lower).toBeGreaterThanOrEqual(d[0]!);
    expect(iv.upper).toBeLessThanOrEqual(d[d.length - 1]!);
  });

  propTest.prop([fc.array(finite, { maxLength: 30 }), fc.oneof(finite, fc.constantFrom(NaN, Infinity, -Infinity))])('never throws on finite input, whatever the confidence', (xs, c) => {
    const iv = signedRankInterval(sorted(xs), c);
    if (xs.length === 0) expect(iv).toBeNull();
    else {
      expect(Number.isFinite(iv!.lower) && Number.isFinite(iv!.upper) && Number.isFinite(iv!.estimate)).toBe(true);
      expect(iv!.lower).toBeLessThanOrEqual(iv!.upper);
    }
  });

  propTest.prop([fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: -1000, max: 1000 })])('moves with a shift of the data', (xs, shift) => {
    const a = signedRankInterval(sorted(xs), 0.95)!;
    const b = signedRankInterval(sorted(xs.map((x) => x + shift)), 0.95)!;
    expect(b.estimate).toBeCloseTo(a.estimate + shift, 9);
    expect(b.lower).toBeCloseTo(a.lower + shift, 9);
    expect(b.upper).toBeCloseTo(a.upper + shift, 9);
  });

  it('covers the centre of symmetric data as often as it says (2,000 seeded samples of 30)', () => {
    let covered = 0;
    let coverage = 0;
    for (let seed = 0; seed < 2000; seed++) {
      const r = rng(seed);
      // A heavy-tailed symmetric law: normal with one draw in ten five times wider.
      const d = sorted(Array.from({ length: 30 }, () => gauss(r) * (r() < 0.1 ? 5 : 1)));
      const iv = signedRankInterval(d, 0.9)!;
      coverage = iv.coverage;
      if (iv.lower <= 0 && 0 <= iv.upper) covered++;
    }
    expect(coverage).toBeGreaterThanOrEqual(0.9);
    expect(covered / 2000).toBeGreaterThan(0.88);
    expect(covered / 2000).toBeLessThan(0.93);
  });
});
