import { describe, expect, it } from 'vitest';
import { contentionSectionMarkdown, renderContentionMarkdown } from '../../../../harness/report/contention/render-markdown.ts';
import { contentionResult, step, SWEEP } from './result-fixture.ts';

describe('contention Markdown', () => {
  it('names each knee, every step, the unavailable figures and the violations', () => {
    const md = renderContentionMarkdown(SWEEP);
    expect(md).toContain('v42: knee at 4 workers (300 ops/s)');
    expect(md).toContain('v44<b>: no knee — throughput still rising at 16 workers');
    expect(md.match(/^\| v42 \| \d+ \|/gm)).toHaveLength(3);
    expect(md).toContain('| metrics.operation.writeConflicts | 0 (0.0/s) |');
    expect(md).toContain('| metrics.operation.writeConflicts | not available on this server |');
    expect(md).toContain('INVARIANT VIOLATIONS: 2');
    expect(md).toContain('job-claimed-twice: job j1 claimed 2 times');
    expect(md).toContain('WriteConflict 3');
  });

  it('keeps a target name with a pipe inside its table cell', () => {
    const md = renderContentionMarkdown(contentionResult([step('a|b', 1, 100, {})], [{ name: 'a|b', displayUri: 'mongodb://x/', product: 'FerretDB', serverVersion: '7.0.0' }]));
    expect(md).toMatch(/^\| a\\\|b \| 1 \| 100\.0 \|/m);
  });

  it('gives a replay report one row per target: best throughput, knee, violations', () => {
    expect(contentionSectionMarkdown(SWEEP)).toEqual([
      '## Contention benchmark',
      '',
      '| target | best ops/s | knee (workers) | invariant violations |',
      '|---|--:|--:|--:|',
      '| v42 | 300.0 | 4 | 0 |',
      '| v44<b> | 600.0 | 16 | 2 |',
      '',
    ]);
  });
});
