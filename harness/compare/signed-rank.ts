/**
 * The Hodges-Lehmann estimate of a shift and its Wilcoxon signed-rank confidence interval
 * (Hollander, Wolfe & Chicken, Nonparametric Statistical Methods, 3rd ed., §3.2-3.3),
 * for a sample of paired differences (here: log latency ratios, one per operation).
 *
 * The estimate is the median of the n(n+1)/2 Walsh averages (dᵢ + dⱼ)/2, i ≤ j; the
 * interval runs from the C-th smallest to the C-th largest of them, C the largest count
 * with P(T ≤ C-1) ≤ (1 - confidence)/2 for T the signed-rank statistic under the null.
 * It assumes only that the differences are independent and symmetric about their
 * centre, and for paired latencies that is exactly what "no change" means: when both
 * sides run the same version, candidate and baseline are exchangeable, so ln(c/b) and
 * ln(b/c) have one distribution. A pure slowdown keeps the symmetry; when only some
 * operations slow down the estimate is the centre of the pairwise averages (the
 * pseudo-median) rather than the median: still the typical shift, and the interval is
 * still a valid test of "no change".
 *
 * Why this and not the sign-test interval of the plain median, or a bootstrap: all
 * three are distribution-free, but the signed-rank interval uses the sizes of the
 * differences, not only their signs. Measured over 4,000 seeded runs of 50 pairs
 * (test/unit/compare/latency-sim.ts: log-normal jitter per side, 5% spikes), a 1.5×
 * slowdown cleared the 99% interval at jitter σ 0.25 in 96% of runs against the sign
 * test's 93%, and with a second baseline's noise floor in 88% against 78%; at σ 0.3 in
 * 88% against 80% (71% against 53%); at σ 0.2 both in 99%. A bootstrap needs thousands
 * of resamples per shape and is least reliable exactly at 20-50 samples.
 *
 * Cost: the Walsh averages are never built (n = 100,000 would give 5·10⁹). The k-th
 * smallest is found by bisection on its value, counting the averages at or below a
 * pivot with two pointers over the sorted differences in O(n); the bracket's ends snap
 * to averages that exist, so it ends on an exact order statistic after at most ~64
 * halvings for differences of one magnitude. Measured: 5 ms for 1,000 differences,
 * 130 ms for 100,000, 0.5 s for a million (an app's `*` row of a long run). Ties (equal
 * latencies give d = 0) leave the interval usable; its coverage then holds approximately.
 */
export interface ShiftInterval {
  readonly n: number;
  /** Hodges-Lehmann estimate: the median of the Walsh averages. */
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  /**
   * The interval's coverage for continuous data, 1 - 2·P(T ≤ C-1): at least the
   * confidence asked for, or less when n is too small for it (then the interval is the
   * sample's whole range and still falls short: at 99%, below 8 differences).
   */
  readonly coverage: number;
}

/**
 * `sorted` ascending and finite. Null for an empty sample. A confidence at or below 0
 * gives the estimate alone, at or above 1 the whole range. Never throws.
 */
export function signedRankInterval(sorted: ArrayLike<number>, confidence: number): ShiftInterval | null {
  const n = sorted.length;
  if (n === 0) return null;
  const m = (n * (n + 1)) / 2;
  const mid = (m + 1) / 2;
  const estimate = Number.isInteger(mid) ? walshKth(sorted, mid) : half(walshKth(sorted, Math.floor(mid)), walshKth(sorted, Math.ceil(mid)));
  const { count, coverage } = criticalCount(n, confidence);
  const c = Math.max(1, count);
  return { n, estimate, lower: walshKth(sorted, c), upper: walshKth(sorted, m + 1 - c), coverage };
}

/**
 * A Walsh average, (a + b) / 2: exact for a = b and always between a and b (halving
 * each first would round odd subnormals outwards); only a sum that overflows is
 * halved term by term.
 */
export function half(a: number, b: number): number {
  const s = a + b;
  return s === Infinity || s === -Infinity ? a / 2 + b / 2 : s / 2;
}

/** Above this many differences the signed-rank null distribution is taken as normal (error below 1e-3 in the tail, a count off by at most one). */
const EXACT_MAX_N = 100;

/**
 * C (capped at the middle, so the interval always holds the estimate) and its
 * coverage. Exact up to EXACT_MAX_N, from the distribution of T built by adding one
 * rank at a time (probabilities, halved per rank, so nothing overflows); beyond, the
 * normal approximation with continuity correction, mean n(n+1)/4 and variance
 * n(n+1)(2n+1)/24, searched by bisection over C (no inverse normal needed).
 * Count 0: no interval at this confidence; the caller widens to the whole range.
 */
export function criticalCount(n: number, confidence: number): { count: number; coverage: number } {
  const m = (n * (n + 1)) / 2;
  const cap = Math.floor((m + 1) / 2);
  const tail = (1 - confidence) / 2;
  if (n <= EXACT_MAX_N) {
    const p = new Float64Array(m + 1);
    p[0] = 1;
    for (let r = 1; r <= n; r++) {
      const top = (r * (r + 1)) / 2;
      for (let s = top; s >= 0; s--) p[s] = (p[s]! + (s >= r ? p[s - r]! : 0)) / 2;
    }
    let below = 0;
    let count = 0;
    while (count < cap && below + p[count]! <= tail) below += p[count++]!;
    return { count, coverage: 1 - 2 * (count === 0 ? p[0]! : below) };
  }
  const mean = m / 2;
  const sd = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24);
  const cdf = (t: number): number => normalCdf((t + 0.5 - mean) / sd);
  let lo = 0;
  let hi = cap;
  while (lo < hi) {
    const c = Math.ceil((lo + hi) / 2);
    if (cdf(c - 1) <= tail) lo = c;
    else hi = c - 1;
  }
  return { count: lo, coverage: 1 - 2 * cdf(Math.max(lo, 1) - 1) };
}

/**
 * The k-th smallest (1-based, 1 ≤ k ≤ n(n+1)/2) Walsh average of `d` (ascending).
 *
 *   lo ─────────── pivot ─────────── hi
 *   count(≤ lo) < k                   count(≤ hi) ≥ k, hi is an average that exists
 *
 * Each pass counts the averages ≤ pivot and notes the largest of them and the
 * smallest above; at least k below: hi snaps down to that largest one; fewer: lo moves
 * up to the pivot, and when the smallest average above it is hi itself, hi is the answer.
 */
export function walshKth(d: ArrayLike<number>, k: number): number {
  const n = d.length;
  let lo = -Infinity;
  let hi = half(d[n - 1]!, d[n - 1]!); // the largest average
  let pivot = d[0]!;
  for (;;) {
    // One pass: rows i, columns j ≥ i; as i grows the last column ≤ pivot can only move left.
    let count = 0;
    let maxBelow = -Infinity;
    let minAbove = Infinity;
    let j = n - 1;
    for (let i = 0; i < n; i++) {
      const di = d[i]!;
      while (j >= i && half(di, d[j]!) > pivot) j--;
      if (j < i) {
        // This row and every later one lie wholly above the pivot; its smallest is (dᵢ + dᵢ)/2.
        const w = half(di, di);
        if (w < minAbove) minAbove = w;
        break;
      }
      count += j - i + 1;
      const w = half(di, d[j]!);
      if (w > maxBelow) maxBelow = w;
      if (j + 1 < n) {
        const a = half(di, d[j + 1]!);
        if (a < minAbove) minAbove = a;
      }
    }
    if (count >= k) {
      hi = maxBelow;
      if (count === k) return hi;
    } else {
      lo = pivot;
      if (minAbove >= hi) return hi;
    }
    const next = lo === -Infinity ? hi - Math.abs(hi) - 1 : half(lo, hi);
    // Adjacent doubles: nothing lies strictly between lo and hi but hi.
    if (next <= lo || next >= hi) return hi;
    pivot = next;
  }
}

/** Standard normal CDF (Abramowitz & Stegun 26.2.17, |error| < 7.5e-8). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const g = 0.3989422804014327 * Math.exp((-z * z) / 2);
  const tail = g * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return z >= 0 ? 1 - tail : tail;
}
