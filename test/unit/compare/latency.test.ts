import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { compareOutcomes } from '../../../harness/compare/compare.ts';
import { judgeLatency, LatencyNoise, LatencySamples, latencyText, logRatio, MAX_LATENCY_PAIRS, percentiles } from '../../../harness/compare/latency.ts';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import type { OperationOutcome, TargetOutcome } from '../../../harness/model/run/outcome.ts';
import { shapeOf } from '../../../harness/model/shape.ts';
import { HEAVY, MODERATE, simulate, type Noise } from './latency-sim.ts';

const thresholds = ConfigSchema.parse({}).compare.latency;

function fill(b: readonly number[], c: readonly number[]): LatencySamples {
  const s = new LatencySamples();
  b.forEach((x, i) => s.add(x, c[i]!));
  return s;
}

/** One simulated shape judged with one baseline and with a second one. */
function judge(seed: number, n: number, noise: Noise, slowdown = 1, secondBias = 1, t = thresholds) {
  const { baseline, second, candidate } = simulate(seed, n, noise, slowdown, secondBias);
  const learnt = new LatencyNoise(t.confidence);
  baseline.forEach((b, i) => learnt.add('app', 's', b, second[i]!));
  const samples = fill(baseline, candidate);
  return { one: judgeLatency('c', 'app', 's', samples, t), two: judgeLatency('c', 'app', 's', samples, t, learnt.interval('app', 's')) };
}

describe('latency', () => {
  it('computes nearest-rank percentiles', () => {
    const p = percentiles(Array.from({ length: 100 }, (_, i) => 100 - i));
    expect(p).toEqual({ count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(percentiles([])).toMatchObject({ count: 0, max: 0 });
  });

  it('takes log ratios of latencies floored at 1 µs, so a 0 µs reply gives no infinity', () => {
    expect(logRatio(2000, 1000)).toBeCloseTo(Math.log(2));
    expect(logRatio(0, 0)).toBe(0);
    expect(logRatio(5, 0)).toBeCloseTo(Math.log(5));
  });

  it('flags a clear slowdown with its paired ratio and interval, and keeps the percentile ratios', () => {
    const { one: row } = judge(1, 50, MODERATE, 2);
    expect(row.judgement).toBe('regression');
    expect(row.level).toBe('warn');
    expect(row.paired).toMatchObject({ n: 50, confidence: 0.99 });
    expect(row.paired!.lower).toBeGreaterThan(thresholds.minRatio);
    expect(row.paired!.lower).toBeLessThanOrEqual(row.paired!.ratio);
    expect(row.paired!.ratio).toBeLessThanOrEqual(row.paired!.upper);
    expect(row.paired!.ratio).toBeGreaterThan(1.6);
    expect(row.paired!.ratio).toBeLessThan(2.5);
    expect(row.ratios.p50).toBeGreaterThan(1.3);
    expect(row.noise).toBeUndefined();
    expect(latencyText(row)).toMatch(/^paired ratio ×\d\.\d\d \[\d\.\d\d, \d\.\d\d\] \(99%, 50 pairs\); p50 ×\d\.\d\d, p99 ×\d\.\d\d$/);
  });

  it('does not judge below the minimum sample count per side, however large the ratio', () => {
    const row = judgeLatency('c', 'app', 's1', fill([1000, 1100, 900], [9000, 9900, 8100]), thresholds);
    expect(row).toMatchObject({ judgement: 'insufficient-samples', level: 'pass', paired: null });
    expect(row.ratios.p50).toBe(9);
    // Enough pairs for the setting but too few for an interval at the confidence asked.
    const few = judgeLatency('c', 'app', 's1', fill([1, 2, 3, 4, 5], [9, 9, 9, 9, 9]), { ...thresholds, minSamples: 5 });
    expect(few).toMatchObject({ judgement: 'insufficient-samples', paired: null });
  });

  it('calls a faster candidate an improvement', () => {
    const { one } = judge(3, 60, MODERATE, 0.4);
    expect(one.judgement).toBe('improvement');
    expect(one.level).toBe('pass');
    expect(one.paired!.upper).toBeLessThan(1 / thresholds.minRatio);
  });

  it('does not call a certain but small shift a regression (minRatio)', () => {
    const base = simulate(5, 2000, { sigma: 0.05, commonSpikes: 0, ownSpikes: 0 }).baseline;
    const row = judgeLatency('c', 'a', 's', fill(base, base.map((x) => Math.round(x * 1.05))), thresholds);
    expect(row.paired!.lower).toBeGreaterThan(1.04);
    expect(row.judgement).toBe('same');
  });

  it('warns from warnRatio and fails from failRatio, judged on the paired ratio', () => {
    const base = simulate(7, 40, MODERATE).baseline;
    const slower = (f: number) => fill(base, base.map((x) => Math.round(x * f)));
    expect(judgeLatency('c', 'a', 's', slower(1.15), thresholds)).toMatchObject({ judgement: 'regression', level: 'pass' });
    expect(judgeLatency('c', 'a', 's', slower(1.3), thresholds)).toMatchObject({ judgement: 'regression', level: 'warn' });
    expect(judgeLatency('c', 'a', 's', slower(5), { ...thresholds, failRatio: 3 }).level).toBe('fail');
  });

  /*
   * The figures behind the README's latency paragraph. Heavy noise: every server's own
   * log-normal jitter of σ 0.4 (so a pair's ratio spreads by σ 0.57) and 5% spikes of
   * ×2-20 on one side only, besides spikes both sides see.
   */
  it('never flags identical servers under heavy noise, 1,000 seeds at 50 and at 200 pairs, one or two baselines', () => {
    // Over 100,000 further seeds at 50 pairs: 0.02% with one baseline, 0.001% with two.
    for (const n of [50, 200]) {
      for (let seed = 0; seed < 1000; seed++) {
        const { one, two } = judge(seed, n, HEAVY);
        expect(one.judgement, `seed ${seed}, ${n} pairs`).not.toBe('regression');
        expect(two.judgement, `seed ${seed}, ${n} pairs, two baselines`).not.toBe('regression');
      }
    }
  });

  it('at the minimum of 20 pairs under heavy noise, flags identical servers in under 0.3% of 2,000 seeds', () => {
    let one = 0;
    let two = 0;
    for (let seed = 0; seed < 2000; seed++) {
      const r = judge(seed, 20, HEAVY);
      if (r.one.judgement === 'regression') one++;
      if (r.two.judgement === 'regression') two++;
    }
    // Sampling alone puts the lower end above ln(1) at most (1 - 0.99)/2 of the time, above
    // ln(1.1) less often: measured 0.15% here, 0.08% over 100,000 further seeds.
    expect(one / 2000).toBeLessThan(0.003);
    expect(two).toBeLessThanOrEqual(one);
  });

  it('warns of a 1.5× slowdown of a shape in 90% of 1,000 seeds at 50 pairs and 99% at 100 (moderate noise), one or two baselines', () => {
    // A regression warns when even its interval's lower end reaches warnRatio (×1.2).
    // Measured: 913 and 912 of 1,000 at 50 pairs; at 100 pairs see the bound below.
    // (Judged on the estimate instead: 99.2% and 97.3% at 50 pairs, but one A/A run in
    // twenty of bench verdicts warned.) Under heavy noise 200 pairs are needed.
    for (const [pairs, atLeast] of [
      [50, 900],
      [100, 990],
    ] as const) {
      let one = 0;
      let two = 0;
      for (let seed = 0; seed < 1000; seed++) {
        const r = judge(10_000 + seed, pairs, MODERATE, 1.5);
        if (r.one.judgement === 'regression' && r.one.level !== 'pass') one++;
        if (r.two.judgement === 'regression' && r.two.level !== 'pass') two++;
      }
      expect(one, `${pairs} pairs, one baseline`).toBeGreaterThanOrEqual(atLeast);
      expect(two, `${pairs} pairs, two baselines`).toBeGreaterThanOrEqual(atLeast);
    }
  });

  it('does not flag a candidate slower by no more than two baselines differ from each other', () => {
    // The second baseline runs 1.3× slower than the first throughout (say, on a busier core).
    const { one, two } = judge(11, 200, MODERATE, 1.3, 1.3);
    expect(one.judgement).toBe('regression');
    expect(two.judgement).toBe('same');
    expect(two.noise!.ratio).toBeGreaterThan(1.2);
    expect(two.noise!.floor).toBeGreaterThan(two.paired!.lower);
    expect(latencyText(two)).toMatch(/; baselines ×1\.\d\d \[\d\.\d\d, \d\.\d\d\], floor ×1\.\d\d; /);
    // Either direction: a second baseline 1.3× faster says as much about placement.
    expect(judge(11, 200, MODERATE, 1.3, 1 / 1.3).two.judgement).toBe('same');
    // A slowdown well beyond that still shows.
    expect(judge(11, 200, MODERATE, 2, 1.3).two.judgement).toBe('regression');
  });

  it('ignores the baselines when they have fewer pairs than minSamples', () => {
    const { baseline, second, candidate } = simulate(13, 60, MODERATE, 2);
    const learnt = new LatencyNoise(thresholds.confidence);
    for (let i = 0; i < 5; i++) learnt.add('app', 's', baseline[i]!, second[i]!);
    const row = judgeLatency('c', 'app', 's', fill(baseline, candidate), thresholds, learnt.interval('app', 's'));
    expect(row.noise).toBeUndefined();
    expect(row.judgement).toBe('regression');
  });

  it('is not fooled by a send-order delay that alternates sides, as replay sends it', () => {
    // The side sent second waits 40% longer; replay alternates which side that is.
    const { baseline, candidate } = simulate(17, 100, MODERATE);
    const alternating = fill(
      baseline.map((b, i) => (i % 2 === 1 ? b * 1.4 : b)),
      candidate.map((c, i) => (i % 2 === 0 ? c * 1.4 : c)),
    );
    expect(judgeLatency('c', 'a', 's', alternating, thresholds).judgement).toBe('same');
    // Had the candidate always gone second, the delay would read as a regression.
    expect(judgeLatency('c', 'a', 's', fill(baseline, candidate.map((c) => c * 1.4)), thresholds).judgement).toBe('regression');
  });
});

describe('latency samples of a long run', () => {
  const thresholds = ConfigSchema.parse({}).compare.latency;
  it('keeps a bounded, deterministic uniform sample and still judges a ×1.5 slowdown, counting every pair', () => {
    const fill = () => {
      const s = new LatencySamples();
      // Baseline 1,000–1,999 µs; candidate 1.5× its pair, the first half of the run ×1.0 would show if the sample were not uniform.
      for (let i = 0; i < MAX_LATENCY_PAIRS * 2; i++) s.add(1000 + (i % 1000), (1000 + (i % 1000)) * (i < MAX_LATENCY_PAIRS / 10 ? 1 : 1.5));
      return s;
    };
    const s = fill();
    expect(s.baseline).toHaveLength(MAX_LATENCY_PAIRS);
    expect(s.seen).toBe(MAX_LATENCY_PAIRS * 2);
    expect(fill().candidate).toEqual(s.candidate);
    const row = judgeLatency('c', 'app', '*', s, thresholds);
    expect(row.baseline.count).toBe(MAX_LATENCY_PAIRS * 2);
    expect(row.paired!.n).toBe(MAX_LATENCY_PAIRS);
    expect(row.paired!.ratio).toBeCloseTo(1.5, 2);
    expect(row.judgement).toBe('regression');
  });

  it('a noise interval read before more pairs arrive is computed again afterwards', () => {
    const noise = new LatencyNoise(thresholds.confidence);
    for (let i = 0; i < 200; i++) noise.add('app', 's', 1000, 1000);
    expect(Math.exp(noise.interval('app', 's')!.estimate)).toBeCloseTo(1, 5);
    for (let i = 0; i < 2000; i++) noise.add('app', 's', 1000, 2000);
    expect(Math.exp(noise.interval('app', 's')!.estimate)).toBeCloseTo(2, 5);
  });
});

describe('latency in the Comparator', () => {
  const ok = (latencyUs: number): TargetOutcome => ({ status: 'ok', reply: { n: 1, ok: 1 }, latencyUs });
  function op(seq: number, command: BSON.Document, targets: Record<string, TargetOutcome>): OperationOutcome {
    return { seq, conn: 'c1', app: 'shop', db: 'app', coll: 'c', cmd: Object.keys(command)[0]!, shape: shapeOf(command).id, command, targets };
  }

  it('learns the baselines’ ratios per shape and per app from the second baseline and reports them on every row', () => {
    const { baseline, second, candidate } = simulate(19, 60, MODERATE, 2);
    const outcomes = baseline.map((b, i) => op(i, { count: 'c', query: { i: new BSON.Int32(i) } }, { a: ok(b), b: ok(second[i]!), cand: ok(candidate[i]!) }));
    const r = compareOutcomes(outcomes, { baseline: 'a', secondBaseline: 'b' });
    expect(r.candidates).toEqual(['cand']);
    const shape = r.latency.find((l) => l.shape === outcomes[0]!.shape)!;
    const app = r.latency.find((l) => l.shape === '*')!;
    for (const row of [shape, app]) {
      expect(row).toMatchObject({ judgement: 'regression', level: 'warn' });
      expect(row.noise).toMatchObject({ n: 60, confidence: 0.99 });
      expect(row.noise!.lower).toBeLessThan(1.2);
    }
    const reason = r.verdicts[0]!.reasons.find((x) => x.evidence.kind === 'latency' && x.evidence.shape === shape.shape)!;
    expect(reason.message).toMatch(/paired ratio ×\d\.\d\d \[\d\.\d\d, \d\.\d\d\] \(99%, 60 pairs\); baselines ×/);
    expect(reason.evidence).toMatchObject({ kind: 'latency', ratio: shape.paired!.ratio, lower: shape.paired!.lower, upper: shape.paired!.upper });
    // One baseline: the same rows without a noise floor.
    expect(compareOutcomes(outcomes, { baseline: 'a', candidates: ['cand'] }).latency.every((l) => l.noise === undefined)).toBe(true);
  });

  it('counts only operations that ran on both baselines towards the noise', () => {
    const { baseline, second, candidate } = simulate(23, 30, MODERATE);
    const outcomes = baseline.map((b, i) =>
      op(i, { count: 'c', query: { i: new BSON.Int32(i) } }, { a: ok(b), b: i < 10 ? { status: 'unavailable', reason: 'down' } : ok(second[i]!), cand: ok(candidate[i]!) }),
    );
    const rows = compareOutcomes(outcomes, { baseline: 'a', secondBaseline: 'b' }).latency;
    expect(rows.every((l) => l.noise?.n === 20)).toBe(true);
  });
});
