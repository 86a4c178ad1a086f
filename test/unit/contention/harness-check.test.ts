import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { judgeAgainstCeiling, summarise } from '../../../harness/contention/contention.ts';
import { HARNESS_CEILING_FRACTION, HARNESS_CORE_LIMIT, judgeHarness } from '../../../harness/contention/harness-check.ts';
import type { StepResult } from '../../../harness/contention/result.ts';

const base = { transport: 'wire' as const, windowMs: 1000, ops: 1000, opsPerSec: 1000 };

describe('judgeHarness', () => {
  it('is conclusive when the harness used little CPU and no ceiling was measured', () => {
    const f = judgeHarness({ ...base, cpuUs: 50_000 });
    expect(f).toMatchObject({ bound: false, cpuUsPerOp: 50, coreFraction: 0.05 });
    expect(f.reason).toBeUndefined();
  });

  it('marks a step whose harness CPU is near a core as harness-bound, naming the share', () => {
    const f = judgeHarness({ ...base, cpuUs: 900_000 });
    expect(f.bound).toBe(true);
    expect(f.reason).toMatch(/harness CPU 90% of a core \(limit 80%\)/);
  });

  it('marks a step within the set fraction of the ceiling measured in the same run', () => {
    expect(judgeHarness({ ...base, cpuUs: 10_000, ceilingOpsPerSec: 1500 }).bound).toBe(true);
    const far = judgeHarness({ ...base, cpuUs: 10_000, ceilingOpsPerSec: 30_000 });
    expect(far.bound).toBe(false);
    expect(far.ceilingOpsPerSec).toBe(30_000);
  });

  propTest.prop([fc.nat(10_000_000), fc.integer({ min: 1, max: 60_000 }), fc.nat(1_000_000), fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: undefined })], { numRuns: 200 })(
    'is bound exactly when one of the two tests says so, and never throws',
    (cpuUs, windowMs, ops, ceiling) => {
      const opsPerSec = (ops * 1000) / windowMs;
      const f = judgeHarness({ transport: 'driver', cpuUs, windowMs, ops, opsPerSec, ceilingOpsPerSec: ceiling });
      const byCpu = cpuUs / (windowMs * 1000) >= HARNESS_CORE_LIMIT;
      const byCeiling = ceiling !== undefined && opsPerSec >= HARNESS_CEILING_FRACTION * ceiling;
      expect(f.bound).toBe(byCpu || byCeiling);
      expect(f.reason !== undefined).toBe(f.bound);
      expect(Number.isFinite(f.cpuUsPerOp)).toBe(true);
    },
  );
});

function step(target: string, workers: number, opsPerSec: number, cpuUs = 1000): StepResult {
  return {
    target,
    workers,
    clients: 1,
    order: 0,
    warmupMs: 0,
    windowMs: 1000,
    ops: opsPerSec,
    opsPerSec,
    otherOps: 0,
    errors: {},
    latency: { count: opsPerSec, minUs: 1, p50Us: 1, p95Us: 1, p99Us: 1, p999Us: 1, maxUs: 1, meanUs: 1 },
    histogram: '',
    server: [],
    log: { available: false, reason: 'not available on this server' } as StepResult['log'],
    workload: {},
    invariants: { checked: [], violations: 0, examples: [] },
    harness: judgeHarness({ transport: 'wire', cpuUs, windowMs: 1000, ops: opsPerSec, opsPerSec }),
  };
}

describe('judgeAgainstCeiling', () => {
  it('judges each target against the ceiling target at the same worker count, never the ceiling itself', () => {
    const targets = [{ name: 'stand-in', ceiling: true }, { name: 'fast' }, { name: 'slow' }];
    const steps = [step('stand-in', 64, 2000, 950_000), step('fast', 64, 1500), step('slow', 64, 100), step('slow', 8, 100)];
    const judged = judgeAgainstCeiling(targets, steps);
    expect(judged.map((s) => [s.target, s.workers, s.harness?.bound])).toEqual([
      ['stand-in', 64, true],
      ['fast', 64, true],
      ['slow', 64, false],
      ['slow', 8, false],
    ]);
    expect(judged[1]!.harness?.reason).toMatch(/75% of the harness ceiling \(2000 ops\/s/);
    expect(summarise(targets.map((t) => ({ ...t, displayUri: '', product: '', serverVersion: '' })), judged).map((s) => s.harnessBoundSteps)).toEqual([1, 1, 0]);
  });

  it('leaves steps alone when no ceiling target ran', () => {
    const steps = [step('a', 4, 100)];
    expect(judgeAgainstCeiling([{ name: 'a' }], steps)).toEqual(steps);
  });
});
