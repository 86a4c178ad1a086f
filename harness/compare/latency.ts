import type { CompareConfig } from '../config/schema.ts';
import type { LatencyRow, Percentiles, VerdictLevel } from './types.ts';
import { mannWhitneyGreater } from './mann-whitney.ts';

type LatencyThresholds = CompareConfig['latency'];

/**
 * Latency per shape and per app, candidate against baseline, from the raw per-operation
 * samples of the outcomes (microseconds). Percentiles are exact (nearest rank over
 * the sorted samples). A regression needs all three: at least `minSamples` samples per
 * side, a one-sided Mann-Whitney U test significant at `alpha` (see mann-whitney.ts
 * for why that test), and a p50 ratio of at least `minRatio` (so that a tiny but
 * consistent shift over a huge sample is not called a regression). Its level is
 * `warn` when the p99 (or p50) ratio exceeds `warnRatio`, `fail` above `failRatio`.
 */
export class LatencySamples {
  readonly baseline: number[] = [];
  readonly candidate: number[] = [];

  add(baselineUs: number, candidateUs: number): void {
    this.baseline.push(baselineUs);
    this.candidate.push(candidateUs);
  }
}

export function percentiles(samples: readonly number[]): Percentiles {
  if (samples.length === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

function ratio(c: number, b: number): number | null {
  return b > 0 ? c / b : null;
}

export function judgeLatency(candidate: string, app: string, shape: string, s: LatencySamples, t: LatencyThresholds): LatencyRow {
  const base = percentiles(s.baseline);
  const cand = percentiles(s.candidate);
  const ratios = { p50: ratio(cand.p50, base.p50), p95: ratio(cand.p95, base.p95), p99: ratio(cand.p99, base.p99), max: ratio(cand.max, base.max) };
  if (base.count < t.minSamples || cand.count < t.minSamples) {
    return { candidate, app, shape, baseline: base, candidateStats: cand, ratios, test: null, judgement: 'insufficient-samples', level: 'pass' };
  }
  const slower = mannWhitneyGreater(s.baseline, s.candidate);
  const faster = mannWhitneyGreater(s.candidate, s.baseline);
  let judgement: LatencyRow['judgement'] = 'same';
  if (slower.p < t.alpha && (ratios.p50 ?? Infinity) >= t.minRatio) judgement = 'regression';
  else if (faster.p < t.alpha) judgement = 'improvement';
  let level: VerdictLevel = 'pass';
  if (judgement === 'regression') {
    const worst = Math.max(ratios.p99 ?? Infinity, ratios.p50 ?? Infinity);
    if (t.failRatio !== null && worst > t.failRatio) level = 'fail';
    else if (worst > t.warnRatio) level = 'warn';
  }
  return {
    candidate,
    app,
    shape,
    baseline: base,
    candidateStats: cand,
    ratios,
    test: { name: 'mann-whitney-u', u: slower.u, z: slower.z, p: slower.p },
    judgement,
    level,
  };
}
