import { describe, expect, it } from 'vitest';
import { summarise as summariseTargets } from '../../../harness/contention/contention.ts';
import { createLatencyHistogram, encodeHistogram, recordMs, summarise } from '../../../harness/contention/histogram.ts';
import { renderContentionHtml } from '../../../harness/contention/render-html.ts';
import { renderContentionMarkdown } from '../../../harness/contention/render-markdown.ts';
import type { ContentionResult, StepResult } from '../../../harness/contention/result.ts';
import { metricFigures, snapshotMetrics } from '../../../harness/contention/server-metrics.ts';

function step(target: string, workers: number, opsPerSec: number, status: unknown, violations = 0): StepResult {
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

function result(steps: StepResult[]): ContentionResult {
  const targets = [
    { name: 'v42', displayUri: 'mongodb://127.0.0.1:27042/', product: 'MongoDB 4.2.24', serverVersion: '4.2.24' },
    { name: 'v44<b>', displayUri: 'mongodb://127.0.0.1:27044/', product: 'MongoDB 4.4.29', serverVersion: '4.4.29' },
  ];
  return {
    bench: 'contention', version: 1, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z',
    settings: { workload: 'queue', workers: [1, 4, 16], clients: 1, durationMs: 1000, warmupMs: 100, indexes: true, seed: 1, jobs: 100, keys: 4, broken: false },
    targets, steps, summary: summariseTargets(targets, steps), violations: steps.reduce((n, s) => n + s.invariants.violations, 0),
  };
}

const mongoStatus = { opcounters: { command: 5 }, metrics: { operation: { writeConflicts: 7 } } };

describe('contention renderers', () => {
  const r = result([
    step('v42', 1, 100, mongoStatus), step('v44<b>', 1, 120, {}),
    step('v42', 4, 300, mongoStatus), step('v44<b>', 4, 380, {}),
    step('v42', 16, 280, mongoStatus), step('v44<b>', 16, 600, {}, 2),
  ]);

  it('Markdown names each knee, every step, the unavailable figures and the violations', () => {
    const md = renderContentionMarkdown(r);
    expect(md).toContain('v42: knee at 4 workers (300 ops/s)');
    expect(md).toContain('v44<b>: no knee — throughput still rising at 16 workers');
    expect(md.match(/^\| v42 \| \d+ \|/gm)).toHaveLength(3);
    expect(md).toContain('| metrics.operation.writeConflicts | 0 (0.0/s) |');
    expect(md).toContain('| metrics.operation.writeConflicts | not available on this server |');
    expect(md).toContain('INVARIANT VIOLATIONS: 2');
    expect(md).toContain('job-claimed-twice: job j1 claimed 2 times');
    expect(md).toContain('WriteConflict 3');
  });

  it('HTML is one self-contained file with two SVG charts and escaped names', async () => {
    const html = await renderContentionHtml(r);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).not.toMatch(/<script|<link |src="http/);
    expect(html).toContain('v44&#60;b&#62;');
    expect(html).not.toContain('v44<b>');
    expect(html).toContain('knee 4');
    expect(html).toContain('class="na">not available on this server');
  }, 20_000);
});
