import { summarise as summariseTargets } from '../../../../harness/contention/contention.ts';
import { createLatencyHistogram, encodeHistogram, recordMs, summarise } from '../../../../harness/contention/histogram.ts';
import type { BenchTargetInfo, ContentionResult, StepResult } from '../../../../harness/contention/result.ts';
import { metricFigures, snapshotMetrics } from '../../../../harness/contention/server-metrics.ts';

/**
 * A contention result with a known answer: v42 peaks at 4 workers (knee 4), v44<b>
 * (a name with markup) still rises at 16 and breaks exactly-once there (2 violations);
 * v42 reports writeConflicts, v44<b> exposes no server metric and no log.
 */
export function step(target: string, workers: number, opsPerSec: number, status: unknown, violations = 0): StepResult {
  const h = createLatencyHistogram();
  for (let i = 0; i < 100; i++) recordMs(h, (workers * (i + 1)) / 50);
  const snap = snapshotMetrics(status);
  return {
    target, workers, clients: 1, order: 0, warmupMs: 100, windowMs: 1000, ops: opsPerSec, opsPerSec, otherOps: 0,
    errors: workers > 2 ? { WriteConflict: 3 } : {},
    latency: summarise(h), histogram: encodeHistogram(h),
    server: metricFigures(snap, snap, [], 1000),
    log: { available: false, reason: 'not available on this server (getLog refused: Unauthorized)' },
    workload: { claims: opsPerSec },
    invariants: { checked: ['every job claimed exactly once'], violations, examples: violations ? [{ kind: 'job-claimed-twice', detail: 'job j1 claimed 2 times, by workers 0, 1' }] : [] },
  };
}

export const TARGETS: readonly BenchTargetInfo[] = [
  { name: 'v42', displayUri: 'mongodb://127.0.0.1:27042/', product: 'MongoDB 4.2.24', serverVersion: '4.2.24' },
  { name: 'v44<b>', displayUri: 'mongodb://127.0.0.1:27044/', product: 'MongoDB 4.4.29', serverVersion: '4.4.29' },
];

export function contentionResult(steps: StepResult[], targets: readonly BenchTargetInfo[] = TARGETS): ContentionResult {
  return {
    bench: 'contention', version: 1, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z',
    settings: { workload: 'queue', workers: [...new Set(steps.map((s) => s.workers))].sort((a, b) => a - b), clients: 1, durationMs: 1000, warmupMs: 100, indexes: true, seed: 1, jobs: 100, keys: 4, broken: false },
    targets, steps, summary: summariseTargets(targets, steps), violations: steps.reduce((n, s) => n + s.invariants.violations, 0),
  };
}

const mongoStatus = { opcounters: { command: 5 }, metrics: { operation: { writeConflicts: 7 } } };

export const SWEEP = contentionResult([
  step('v42', 1, 100, mongoStatus), step('v44<b>', 1, 120, {}),
  step('v42', 4, 300, mongoStatus), step('v44<b>', 4, 380, {}),
  step('v42', 16, 280, mongoStatus), step('v44<b>', 16, 600, {}, 2),
]);
