import { describe, expect, inject, it } from 'vitest';
import { startContention, type ContentionOptions, type ContentionTarget } from '../../../harness/contention/contention.ts';
import { testUri } from '../../helpers/fresh-db.ts';

/**
 * The sweep against the suite's real server (FerretDB here). Short steps: the point is
 * the structure, the figures' honesty and the invariant checks, not the numbers.
 */
function target(name: string): ContentionTarget {
  return { name, uri: testUri(), displayUri: testUri(), product: inject('mongoProduct'), serverVersion: 'n/a' };
}

const base: Omit<ContentionOptions, 'workload' | 'workers' | 'targets'> = {
  clients: 2,
  durationMs: 600,
  warmupMs: 100,
  indexes: true,
  seed: 7,
  jobs: 60,
  keys: 4,
  sampleMs: 200,
};

describe('contention sweep on a real server', () => {
  it('queue: every step carries every figure, and one worker claims every job exactly once', async () => {
    const run = startContention({ ...base, targets: [target('a')], workload: 'queue', workers: [1, 2] });
    const events: string[] = [];
    run.on('step-start', (e: { workers: number }) => events.push(`start ${e.workers}`));
    run.on('step-done', (s: { workers: number }) => events.push(`done ${s.workers}`));
    const r = await run.done;
    expect(events).toEqual(['start 1', 'done 1', 'start 2', 'done 2']);
    expect(r.steps.map((s) => s.workers)).toEqual([1, 2]);
    for (const s of r.steps) {
      expect(s.ops).toBeGreaterThan(0);
      expect(s.latency.count).toBe(s.ops);
      expect(s.latency.p99Us).toBeGreaterThanOrEqual(s.latency.p50Us);
      expect(s.histogram.length).toBeGreaterThan(10);
      expect(s.workload.claims).toBeGreaterThan(0);
      // Whatever the server does not expose is said so, never reported as 0.
      for (const m of s.server) if (!m.available) expect(m.reason).toMatch(/not available on this server/);
      expect(s.server.map((m) => m.name)).toContain('metrics.operation.writeConflicts');
    }
    const one = r.steps.find((s) => s.workers === 1)!;
    expect(one.invariants.checked).toContain('every job claimed exactly once');
    expect(one.invariants.violations).toBe(0);
    expect(r.summary[0]!.knee).toBeDefined();
  }, 25_000);

  it('catches the deliberately broken worker that claims without the atomic filter', async () => {
    const r = await startContention({ ...base, targets: [target('a')], workload: 'queue', workers: [4], broken: true }).done;
    expect(r.settings.broken).toBe(true);
    expect(r.violations).toBeGreaterThan(0);
    expect(r.steps[0]!.invariants.examples.map((v) => v.kind)).toContain('job-claimed-twice');
  }, 20_000);

  it('hot-counter and lock run on the server; with one worker their invariants hold', async () => {
    for (const workload of ['hot-counter', 'lock'] as const) {
      const r = await startContention({ ...base, durationMs: 400, targets: [target('a')], workload, workers: [1] }).done;
      const s = r.steps[0]!;
      expect(s.ops).toBeGreaterThan(0);
      expect(s.invariants.violations).toBe(0);
      expect(Object.keys(s.workload)).toEqual(workload === 'lock' ? ['acquired', 'busy'] : ['acknowledged']);
    }
  }, 20_000);
});
