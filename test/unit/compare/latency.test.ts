import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import { judgeLatency, LatencySamples, percentiles } from '../../../harness/compare/latency.ts';

const thresholds = ConfigSchema.parse({}).compare.latency;

/** Deterministic jittered samples around a centre (a small LCG, no Math.random). */
function samples(n: number, centre: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return Math.round(centre * (0.8 + 0.4 * (s / 2 ** 31)));
  });
}

function fill(b: number[], c: number[]): LatencySamples {
  const s = new LatencySamples();
  b.forEach((x, i) => s.add(x, c[i]!));
  return s;
}

describe('latency', () => {
  it('computes nearest-rank percentiles', () => {
    const p = percentiles(Array.from({ length: 100 }, (_, i) => 100 - i));
    expect(p).toEqual({ count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(percentiles([])).toMatchObject({ count: 0, max: 0 });
  });

  it('flags a clear slowdown with enough samples and warns above the p99 ratio threshold', () => {
    const row = judgeLatency('c', 'app', 's1', fill(samples(50, 1000, 1), samples(50, 2000, 2)), thresholds);
    expect(row.judgement).toBe('regression');
    expect(row.level).toBe('warn');
    expect(row.test?.p).toBeLessThan(0.001);
    expect(row.ratios.p50).toBeGreaterThan(1.5);
  });

  it('does not judge below the minimum sample count, however large the ratio', () => {
    const row = judgeLatency('c', 'app', 's1', fill(samples(10, 1000, 1), samples(10, 9000, 2)), thresholds);
    expect(row.judgement).toBe('insufficient-samples');
    expect(row.level).toBe('pass');
    expect(row.test).toBeNull();
  });

  it('calls equal distributions the same and a faster candidate an improvement', () => {
    expect(judgeLatency('c', 'a', 's', fill(samples(60, 1000, 1), samples(60, 1000, 7)), thresholds).judgement).toBe('same');
    expect(judgeLatency('c', 'a', 's', fill(samples(60, 1000, 1), samples(60, 400, 7)), thresholds).judgement).toBe('improvement');
  });

  it('does not call a significant but tiny shift a regression (effect size floor)', () => {
    const base = samples(400, 1000, 3);
    const row = judgeLatency('c', 'a', 's', fill(base, base.map((x) => x + 30)), thresholds);
    expect(row.test!.p).toBeLessThan(thresholds.alpha);
    expect(row.judgement).toBe('same');
  });

  it('fails above failRatio when configured', () => {
    const t = { ...thresholds, failRatio: 3 };
    expect(judgeLatency('c', 'a', 's', fill(samples(40, 1000, 1), samples(40, 5000, 2)), t).level).toBe('fail');
  });
});
