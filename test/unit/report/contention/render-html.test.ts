import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { contentionSectionHtml, renderContentionHtml } from '../../../../harness/report/contention/render-html.ts';
import { contentionResult, step, SWEEP } from './result-fixture.ts';

describe('contention HTML', () => {
  it('is one self-contained file with two SVG charts and escaped names', () => {
    const html = renderContentionHtml(SWEEP);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).not.toMatch(/<script|<link |src="http/);
    expect(html).toContain('v44&#60;b&#62;');
    expect(html).not.toContain('v44<b>');
    expect(html).toContain('class="na">not available on this server');
  });

  it('marks the knee on the throughput chart only', () => {
    const [throughput, p99] = [...renderContentionHtml(SWEEP).matchAll(/<svg .*?<\/svg>/gs)].map((m) => m[0]);
    expect(throughput).toContain('>knee 4</text>');
    expect(p99).not.toContain('knee');
  });

  it('marks no knee when one worker count gives no curve', () => {
    const html = renderContentionHtml(contentionResult([step('v42', 4, 300, {}), step('v44<b>', 4, 200, {})]));
    expect(html).toContain('one worker count only');
    expect(html).not.toContain('>knee ');
  });

  it('carries no markup from a target, product or URI, whatever they hold', () => {
    // Steps are built once: a histogram per step would dominate the run time.
    const steps = [step('', 1, 10, {}), step('', 2, 20, {})];
    fc.assert(
      fc.property(fc.string(), (text) => {
        const probe = `<script>${text}</script><img src=x>`;
        const html = renderContentionHtml(contentionResult(steps.map((s) => ({ ...s, target: probe })), [{ name: probe, displayUri: probe, product: probe, serverVersion: '' }]));
        expect(html).not.toContain('<script>');
        expect(html).not.toContain('<img');
      }),
      { numRuns: 25 },
    );
  });

  it('gives a replay report the throughput curve and one row per target', () => {
    const section = contentionSectionHtml(SWEEP);
    expect(section.startsWith('<h2 id="bench">Contention benchmark (queue)</h2>')).toBe(true);
    expect(section.match(/<svg /g)).toHaveLength(1);
    expect(section).toContain('<tr><td>v44&#60;b&#62;</td><td class="n">600.0</td><td class="n">16</td><td class="n">2</td></tr>');
  });
});
