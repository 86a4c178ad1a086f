import type { CompareConfig } from '../config/schema.ts';
import { signedRankInterval, type ShiftInterval } from './signed-rank.ts';
import type { LatencyRow, PairedRatio, Percentiles, VerdictLevel } from './types.ts';

type LatencyThresholds = CompareConfig['latency'];

/**
 * Latency per shape and per app, candidate against baseline, judged on pairs.
 *
 * Every operation ran on the baseline and on the candidate, so each gives one log ratio
 * ln(candidate / baseline). Whatever slowed both sides at that moment (the machine's
 * load, the harness's own pauses, a large reply) cancels in the ratio. Two unpaired
 * samples keep it as spread and, worse, break a rank test's assumption of independent
 * draws: load that comes and goes makes neighbouring operations alike, and p-values
 * come out far too small. Judged that way (a Mann-Whitney test on the two samples),
 * two identical servers on a machine at load 4 once showed p50 ×1.59 at p = 2e-4.
 *
 * Per shape the estimate is the Hodges-Lehmann shift of the log ratios with its
 * signed-rank interval at `confidence` (signed-rank.ts), shown as ratios. A regression
 * needs all of:
 * - at least `minSamples` pairs (samples per side), and enough for the interval;
 * - the interval's lower end above ln(minRatio): slower beyond sampling error, and by
 *   a margin that absorbs offsets no interval sees;
 * - with a second baseline, the lower end above the noise floor (`noiseFloor`).
 * An improvement is the mirror image (upper end below the negated floor). A regression
 * warns when even the interval's lower end reaches `warnRatio` (confidently that much
 * slower), and fails likewise at `failRatio`. Judged on the estimate instead, one A/A
 * run in twenty of `bench verdicts` warned (×1.41 [1.19, 1.70] over a whole app): with
 * one baseline, a candidate server that happens to share a core with other work is
 * slower as a whole, and only the interval's lower end keeps that below the line.
 *
 * The percentiles and their ratios stay in the row for the tables and charts; they
 * decide nothing.
 */
export class LatencySamples {
  readonly baseline: number[] = [];
  readonly candidate: number[] = [];
  private readonly kept = new Reservoir();

  /** Pairs added, kept or not. */
  get seen(): number {
    return this.kept.seen;
  }

  add(baselineUs: number, candidateUs: number): void {
    const i = this.kept.slot(this.baseline.length);
    if (i === this.baseline.length) {
      this.baseline.push(baselineUs);
      this.candidate.push(candidateUs);
    } else if (i >= 0) {
      this.baseline[i] = baselineUs;
      this.candidate[i] = candidateUs;
    }
  }
}

/**
 * Pairs kept per latency row, and baseline ratios per noise row. Beyond it a uniform
 * sample of everything added is kept (reservoir sampling; the generator is seeded, so
 * the same outcomes give the same figures): memory stays bounded for a run of any
 * length (a shadow left running for days), and 200,000 pairs put the median's
 * interval far inside any threshold a report uses.
 */
export const MAX_LATENCY_PAIRS = 200_000;

class Reservoir {
  seen = 0;
  private state = 0x2545f491;

  /** Where the next item goes among `kept` kept ones: `kept` (append), an index to replace, or -1 (not kept). */
  slot(kept: number): number {
    this.seen++;
    if (kept < MAX_LATENCY_PAIRS) return kept;
    // xorshift32: a uniform draw in [0, seen).
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    const j = Math.floor((this.state / 2 ** 32) * this.seen);
    return j < MAX_LATENCY_PAIRS ? j : -1;
  }
}

/**
 * ln(a / b) for two latencies in µs, each floored at 1 µs: replay rounds to whole
 * microseconds and a reply served from memory can take 0, which would give ±∞.
 */
export function logRatio(a: number, b: number): number {
  return Math.log((a > 1 ? a : 1) / (b > 1 ? b : 1));
}

/**
 * Baseline against second baseline, per app and shape (and per app under `*`): one log
 * ratio per operation, ln(second / baseline), learnt in the Comparator's first pass.
 * Its interval is computed once per app and shape, whatever the number of candidates.
 */
export class LatencyNoise {
  private readonly byApp = new Map<string, Map<string, { values: number[]; kept: Reservoir }>>();
  private readonly intervals = new Map<string, Map<string, ShiftInterval | null>>();

  constructor(private readonly confidence: number) {}

  add(app: string, shape: string, baselineUs: number, secondUs: number): void {
    let shapes = this.byApp.get(app);
    if (!shapes) this.byApp.set(app, (shapes = new Map()));
    const r = logRatio(secondUs, baselineUs);
    push(shapes, shape, r);
    push(shapes, '*', r);
    // A comparison read while outcomes still arrive (shadow's live view) must not keep a stale interval.
    const cached = this.intervals.get(app);
    cached?.delete(shape);
    cached?.delete('*');
  }

  /** The interval of the baselines' log ratio; undefined when nothing was learnt for it. */
  interval(app: string, shape: string): ShiftInterval | null | undefined {
    const samples = this.byApp.get(app)?.get(shape)?.values;
    if (!samples) return undefined;
    let cached = this.intervals.get(app);
    if (!cached) this.intervals.set(app, (cached = new Map()));
    let iv = cached.get(shape);
    if (iv === undefined) cached.set(shape, (iv = signedRankInterval(Float64Array.from(samples).sort(), this.confidence)));
    return iv;
  }
}

function push(m: Map<string, { values: number[]; kept: Reservoir }>, key: string, r: number): void {
  let a = m.get(key);
  if (!a) m.set(key, (a = { values: [], kept: new Reservoir() }));
  const i = a.kept.slot(a.values.length);
  if (i === a.values.length) a.values.push(r);
  else if (i >= 0) a.values[i] = r;
}

/**
 * The noise floor, in log ratio, that the candidate's lower end must clear when a second
 * baseline ran the same operations (Diffy's idea applied to latency).
 *
 * What it guards against: two servers of the same version differ systematically in a
 * run (one shares a core with a busy process, one has a colder cache, one is answered
 * second by a loaded machine). Such a placement effect p shifts the candidate's ratio
 * too and no interval of the candidate alone can see it; the baselines' estimated log
 * ratio b measures one. The candidate's shift s is a regression only if it exceeds
 * what placement alone produced here, s > |b| (the absolute value: the candidate's
 * placement may lean either way).
 *
 * Why not "the candidate's lower end above the baselines' upper end": both ends carry
 * their own sampling error, so two intervals that must not overlap test at a far
 * smaller error rate than either states (two 99% intervals: about 99.97%), which at 50
 * samples turns a plain 1.5× slowdown into a coin toss. Nor a high quantile of the
 * per-operation baseline ratios: that is the spread of single operations, which the
 * candidate's interval already accounts for; a shift estimate cannot be asked to clear it.
 * The test of s − |b| > 0 takes the error of a difference of two estimates,
 * √(SE_c² + SE_b²) (Schenker & Gentleman, 2001). With h the half-width of an interval
 * (z·SE at the same confidence) and the candidate's lower end ŝ − h_c, that is
 *
 *   lower_c > |b̂| + √(h_c² + h_b²) − h_c
 *
 * which is between |b̂| (baselines measured exactly) and |b̂| + 0.41·h (equal widths).
 * The two estimates share the baseline's latencies, which correlates them positively
 * and makes the true error of the difference smaller than this: the test errs on the
 * side of no alarm.
 */
export function noiseFloor(candidate: ShiftInterval, baselines: ShiftInterval): number {
  const hc = (candidate.upper - candidate.lower) / 2;
  const hb = (baselines.upper - baselines.lower) / 2;
  return Math.abs(baselines.estimate) + Math.sqrt(hc * hc + hb * hb) - hc;
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

function asRatio(iv: ShiftInterval, confidence: number): PairedRatio {
  return { n: iv.n, ratio: Math.exp(iv.estimate), lower: Math.exp(iv.lower), upper: Math.exp(iv.upper), confidence };
}

/**
 * `noise`: the baselines' interval for this app and shape (LatencyNoise), when a second
 * baseline ran; it sets a floor only with at least `minSamples` pairs and a full interval.
 */
export function judgeLatency(candidate: string, app: string, shape: string, s: LatencySamples, t: LatencyThresholds, noise?: ShiftInterval | null): LatencyRow {
  // Counts say how many operations were timed, not how many pairs the sample kept.
  const base = { ...percentiles(s.baseline), count: s.seen };
  const cand = { ...percentiles(s.candidate), count: s.seen };
  const ratios = { p50: ratio(cand.p50, base.p50), p95: ratio(cand.p95, base.p95), p99: ratio(cand.p99, base.p99), max: ratio(cand.max, base.max) };
  const row = { candidate, app, shape, baseline: base, candidateStats: cand, ratios };
  const n = s.baseline.length;
  if (n < t.minSamples) return { ...row, paired: null, judgement: 'insufficient-samples', level: 'pass' };
  const logs = new Float64Array(n);
  for (let i = 0; i < n; i++) logs[i] = logRatio(s.candidate[i]!, s.baseline[i]!);
  const iv = signedRankInterval(logs.sort(), t.confidence)!;
  if (iv.coverage < t.confidence) return { ...row, paired: null, judgement: 'insufficient-samples', level: 'pass' };
  const paired = asRatio(iv, t.confidence);

  let floor = Math.log(t.minRatio);
  let noiseRow: LatencyRow['noise'];
  if (noise && noise.n >= t.minSamples && noise.coverage >= t.confidence) {
    const f = noiseFloor(iv, noise);
    noiseRow = { ...asRatio(noise, t.confidence), floor: Math.exp(f) };
    if (f > floor) floor = f;
  }
  const judgement: LatencyRow['judgement'] = iv.lower > floor ? 'regression' : iv.upper < -floor ? 'improvement' : 'same';
  let level: VerdictLevel = 'pass';
  if (judgement === 'regression') {
    if (t.failRatio !== null && paired.lower >= t.failRatio) level = 'fail';
    else if (paired.lower >= t.warnRatio) level = 'warn';
  }
  return { ...row, paired, ...(noiseRow ? { noise: noiseRow } : {}), judgement, level };
}

/** `×1.23 [1.15, 1.31]`: a paired ratio with its interval, as reports and verdict lines show it. */
export function pairedText(p: PairedRatio): string {
  return `×${p.ratio.toFixed(2)} [${p.lower.toFixed(2)}, ${p.upper.toFixed(2)}]`;
}

/** A table cell: `×1.42 [1.28, 1.55]`, with `, floor ×1.08` when a second baseline set one; `—` without an estimate. */
export function pairedCell(row: LatencyRow): string {
  if (!row.paired) return '—';
  return `${pairedText(row.paired)}${row.noise ? `, floor ×${row.noise.floor.toFixed(2)}` : ''}`;
}

/**
 * A latency row's evidence in one line: `paired ratio ×1.42 [1.28, 1.55] (99%, 50 pairs);
 * baselines ×1.03 [0.97, 1.09], floor ×1.08; p50 ×1.45, p99 ×1.60`.
 */
export function latencyText(row: LatencyRow): string {
  const parts: string[] = [];
  if (row.paired) parts.push(`paired ratio ${pairedText(row.paired)} (${+(row.paired.confidence * 100).toFixed(2)}%, ${row.paired.n} pairs)`);
  if (row.noise) parts.push(`baselines ${pairedText(row.noise)}, floor ×${row.noise.floor.toFixed(2)}`);
  parts.push(`p50 ×${row.ratios.p50?.toFixed(2) ?? '∞'}, p99 ×${row.ratios.p99?.toFixed(2) ?? '∞'}`);
  return parts.join('; ');
}
