/**
 * One-sided Mann-Whitney U test (Wilcoxon rank-sum), H1: values of `y` tend to be
 * larger than values of `x`.
 *
 * Why this test: latency samples are skewed and heavy-tailed (a few slow outliers,
 * multi-modal around caches and plan changes), so a t-test's normality assumption
 * fails, and percentiles alone say nothing about chance. Mann-Whitney needs no
 * distribution, only ranks, and is robust to outliers. For the sizes it is used at
 * (at least `compare.latency.minSamples`, 20 by default, per side) the normal
 * approximation with tie correction and continuity correction is accurate
 * (Mann & Whitney 1947; the usual rule of thumb is n ≥ 20 per group).
 */
export interface MannWhitneyResult {
  /** U of y: how many (x, y) pairs have y > x (ties count one half). */
  readonly u: number;
  readonly z: number;
  /** One-sided p-value for "y is stochastically larger than x". */
  readonly p: number;
}

export function mannWhitneyGreater(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return { u: 0, z: 0, p: 1 };
  const all = new Float64Array(n1 + n2);
  const fromY = new Uint8Array(n1 + n2);
  const idx = new Uint32Array(n1 + n2);
  for (let i = 0; i < n1; i++) all[i] = x[i]!;
  for (let j = 0; j < n2; j++) {
    all[n1 + j] = y[j]!;
    fromY[n1 + j] = 1;
  }
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  idx.sort((a, b) => all[a]! - all[b]!);
  const n = n1 + n2;
  let rankSumY = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[idx[j + 1]!] === all[idx[i]!]) j++;
    const rank = (i + j) / 2 + 1; // mean rank of the tie run, ranks from 1
    const t = j - i + 1;
    if (t > 1) tieTerm += t * t * t - t;
    for (let k = i; k <= j; k++) if (fromY[idx[k]!]) rankSumY += rank;
    i = j + 1;
  }
  const u = rankSumY - (n2 * (n2 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, z: 0, p: 1 };
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { u, z, p: 1 - normalCdf(z) };
}

/** Standard normal CDF (Abramowitz & Stegun 26.2.17, |error| < 7.5e-8). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const d = 0.3989422804014327 * Math.exp((-z * z) / 2);
  const tail = d * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return z >= 0 ? 1 - tail : tail;
}
