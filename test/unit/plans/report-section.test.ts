import { describe, expect, it } from 'vitest';
import { PlansConfigSchema } from '../../../harness/config/schema.ts';
import { diffPlans, worstLevel, type PlanOutcome } from '../../../harness/plans/diff.ts';
import { readExplain } from '../../../harness/plans/read.ts';
import { plansSectionHtml } from '../../../harness/report/plans-html.ts';
import { plansSectionMarkdown } from '../../../harness/report/plans-markdown.ts';
import { planVerdicts } from '../../../harness/report/plans-report.ts';
import type { ReportPlanShape } from '../../../harness/report/plans-types.ts';
import type { ReportDocument } from '../../../harness/report/schema.ts';
import { planFixture } from './fixtures.ts';

function plan(file: string): PlanOutcome {
  const r = readExplain(planFixture(file).explain);
  if (!r.ok) throw new Error(r.message);
  return { ok: true, plan: r.plan };
}

/** A report holding one explained find (real output of one query before and after its index): the baseline used an index, the candidate scans the collection. */
function doc(): ReportDocument {
  const targets = { A: plan('mongodb-4.x-find-ixscan-fetch-comments.json'), B: plan('mongodb-4.x-find-collscan-comments.json') };
  const changes = { B: diffPlans(targets.A, targets.B, PlansConfigSchema.parse({})) };
  const shape: ReportPlanShape = {
    shape: 'abc123def456',
    shapeText: '{"find":"users","filter":{"age":"<script>"}}',
    cmd: 'find',
    db: 'shop',
    coll: 'users',
    seq: 7,
    write: false,
    verbosity: 'executionStats',
    command: '{"find":"users","filter":{"age":{"$gt":30}}}',
    targets,
    changes,
    level: { B: worstLevel(changes.B) },
    firstChange: 'B',
  };
  const targetsInfo = [
    { name: 'A', role: 'baseline' as const, uri: 'mongodb://a', serverVersion: '4.2.24' },
    { name: 'B', role: 'candidate' as const, uri: 'mongodb://b', serverVersion: '4.2.24' },
  ];
  return { baseline: 'A', candidates: ['B'], targets: targetsInfo, plans: [shape], plansInfo: { verbosity: 'executionStats', timeLimitMs: 10_000, generatedAt: '2026-12-01T00:00:00Z' } } as unknown as ReportDocument;
}

describe('the Plans section', () => {
  it('in Markdown: a row per operation, the change, and both trees indented with the changed nodes starred', () => {
    const md = plansSectionMarkdown(doc()).join('\n');
    expect(md).toContain('| find users [abc123def456] | IXSCAN name_1 | COLLSCAN (FAIL) | B |');
    expect(md).toContain('- FAIL on B: collscan: index scan became a collection scan (baseline used name_1 { name: 1 })');
    expect(md).toContain('  FETCH\n*   INDEX_SCAN (IXSCAN) name_1 { name: 1 } name: ["Ramsay Bolton", "Ramsay Bolton"]\n');
    expect(md).toMatch(/^\* COLLSCAN/m);
    expect(md).toContain('nReturned 273, keysExamined 273, docsExamined 273');
    expect(md).toContain('nReturned 273, keysExamined 0, docsExamined 50303, 23 ms');
  });

  it('in HTML: collapsible trees side by side, changed nodes marked, text escaped', () => {
    const html = plansSectionHtml(doc());
    expect(html).toContain('<h2 id="plans">Plans</h2>');
    expect(html.match(/<code class="changed"/g)).toHaveLength(2);
    expect(html).toMatch(/<details open><summary><code>FETCH<\/code><\/summary><ul><li><code class="changed"[^>]*>INDEX_SCAN \(IXSCAN\) name_1/);
    expect(html).toContain('&#60;script&#62;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<details id="plan-abc123def456-7" class="group" open>');
  });
});

describe('plan changes in the verdicts', () => {
  /** The same explained find inside a report whose verdict, matrix and exit passed before plans. */
  function withSummary(): ReportDocument {
    const d = doc();
    const shape = d.plans![0]!.shape;
    return {
      ...d,
      summary: [{ app: 'shop', candidate: 'B', version: '4.2.24', verdict: 'pass', replayed: 1, skipped: {}, groups: 0, causes: {}, newErrors: 0, latency: { p50Ratio: 1, p99Ratio: 1, judgement: 'same' }, counts: {}, reasons: [] }],
      matrix: [{ app: 'shop', shapes: [{ shape, shapeText: '{}', cmd: 'find', cells: [{ candidate: 'B', behaviour: 'same', latency: 'same', p99Ratio: 1, level: 'pass' }], firstChange: null }] }],
      exit: { status: 8, reasons: ['8: the run was cut short before the end of its captures'] },
    } as unknown as ReportDocument;
  }

  it('an index scan become a collection scan fails the verdict, marks the matrix cell and sets the exit bit', () => {
    const out = planVerdicts(withSummary());
    expect(out.summary[0]!.verdict).toBe('fail');
    expect(out.summary[0]!.reasons[0]).toMatchObject({ level: 'fail', evidence: { kind: 'plan', shape: 'abc123def456' } });
    expect(out.summary[0]!.reasons[0]!.message).toMatch(/^plan of find users \(abc123def456\): .*index scan became a collection scan/);
    const cell = out.matrix[0]!.shapes[0]!.cells[0]!;
    expect(cell.plan).toContain('collscan');
    expect(cell.level).toBe('fail');
    expect(out.matrix[0]!.shapes[0]!.firstChange).toBe('B');
    // Bit 8 kept, bit 4 added with its line.
    expect(out.exit.status).toBe(12);
    expect(out.exit.reasons).toEqual(['4: 1 fail verdict', '8: the run was cut short before the end of its captures']);
  });

  it('leaves a report without plan changes as it was, and other apps alone', () => {
    const d = withSummary();
    const none = planVerdicts({ ...d, plans: [] });
    expect(none.summary).toEqual(d.summary);
    expect(none.exit).toEqual(d.exit);
    const other = planVerdicts({ ...d, plans: d.plans!.map((p) => ({ ...p, app: 'billing' })) });
    expect(other.summary[0]!.verdict).toBe('pass');
  });
});
