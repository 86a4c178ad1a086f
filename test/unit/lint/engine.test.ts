import { describe, expect, it } from 'vitest';
import { Linter, maxSeverity, stepsBetween } from '../../../harness/lint/engine.ts';
import { renderLintMarkdown } from '../../../harness/lint/render-markdown.ts';
import { LINT_FORMAT, LINT_FORMAT_VERSION } from '../../../harness/lint/result.ts';
import { RULES } from '../../../harness/lint/rules/index.ts';
import { scanText } from '../../../harness/lint/source-scan.ts';
import { toRecord } from './fixtures.ts';

const paging = (seq: number, app: string, skip: number, conn = 'c1') =>
  toRecord({ app, conn, command: { find: 'orders', filter: { status: 'open' }, sort: { createdAt: -1 }, skip, limit: 20, $db: 'shop' } }, seq);

describe('lint engine', () => {
  it('runs only the rules of the steps after --from up to --to', () => {
    expect(stepsBetween('4.2', '8.0')).toEqual(['4.4', '5.0', '6.0', '7.0', '8.0']);
    expect(stepsBetween('5.0', '6.0')).toEqual(['6.0']);
    const late = new Linter({ from: '4.4', to: '8.0' });
    late.add(paging(1, 'shop', 20));
    const steps = late.result()[0]!.steps;
    expect(steps.map((s) => s.step)).toEqual(['5.0', '6.0', '7.0', '8.0']);
    expect(steps.flatMap((s) => s.findings).map((f) => f.rule)).not.toContain('sort-ties-paging');
  });

  it('counts per app, groups operations of one shape with their first example, and counts connections', () => {
    const l = new Linter({ from: '4.2', to: '4.4' });
    [paging(1, 'shop', 20, 'a'), paging(2, 'shop', 40, 'b'), paging(3, 'shop', 60, 'b'), paging(4, 'billing', 20)].forEach((r) => l.add(r));
    const [billing, shop] = l.result();
    expect(billing!.app).toBe('billing');
    const f = shop!.steps[0]!.findings.find((x) => x.rule === 'sort-ties-paging')!;
    expect(f).toMatchObject({ ops: 3, connections: 2, step: '4.4', severity: 'medium', expect: 'order-only', moreShapes: 0 });
    expect(f.shapes).toHaveLength(1);
    expect(f.shapes[0]).toMatchObject({ ops: 3, example: { seq: 1, conn: 'a', db: 'shop', coll: 'orders' } });
    expect(billing!.steps[0]!.findings.find((x) => x.rule === 'sort-ties-paging')!.ops).toBe(1);
  });

  it('labels records without an app by the capture header, else as unlabelled', () => {
    const l = new Linter({ from: '4.2', to: '4.4' });
    const { app: _drop, ...bare } = paging(1, 'x', 20);
    l.add(bare, 'from-header');
    l.add({ ...bare, seq: 2 });
    expect(l.result().map((a) => a.app)).toEqual(['(unlabelled)', 'from-header']);
  });

  it('does not lint what the server ran itself, a write logged twice, or undecodable records', () => {
    const l = new Linter({ from: '4.2', to: '4.4' });
    l.add({ ...paging(1, 'shop', 20), notReplayable: 'internal' });
    l.add({ ...paging(2, 'shop', 20), notReplayable: 'duplicate' });
    l.add({ ...paging(3, 'shop', 20), notReplayable: 'truncated' });
    expect(l.ignored).toBe(2);
    expect(l.result()[0]!.steps[0]!.findings.find((f) => f.rule === 'sort-ties-paging')!.ops).toBe(1);
  });

  it('orders findings most severe first and names the most severe of all', () => {
    const l = new Linter({ from: '4.2', to: '8.0' });
    l.add(paging(1, 'shop', 20));
    l.add(toRecord({ command: { find: 'c', filter: {}, projection: { a: 1, 'a.b': 1 }, $db: 'shop' }, app: 'shop' }, 2));
    const findings = l.result()[0]!.steps[0]!.findings;
    expect(findings[0]!.severity).toBe('high');
    expect(maxSeverity(l.result())).toBe('high');
    expect(maxSeverity([])).toBeNull();
  });

  it('a rule that throws is counted and treated as no hit, never stopping the lint', () => {
    const bad = { ...RULES[0]!, id: 'throws', match: () => { throw new Error('boom'); } };
    const l = new Linter({ from: '4.2', to: '8.0', rules: [bad] });
    l.add(paging(1, 'shop', 20));
    expect(l.ruleErrors.get('throws')).toBe(1);
    expect(l.result()[0]!.steps.every((s) => s.findings.length === 0)).toBe(true);
  });
});

describe('source scan', () => {
  const tokenRules = RULES.filter((r) => r.tokens);
  const hitsIn = (text: string) => {
    const out: string[] = [];
    scanText(text, tokenRules, (rule, line) => out.push(`${line}:${rule.id}`));
    return out;
  };

  it('reports the line of each rule name and leaves look-alikes alone', () => {
    const hits = hitsIn(['db.runCommand({ isMaster: 1 })', 'coll.find({ $where: "Array.concat(a, b)" })', 'Array.isArray(x) && Arrays.asList(y)', 'pipeline.push({ $geoNear: {} })'].join('\n'));
    expect(hits).toContain('1:legacy-hello-only');
    expect(hits).toContain('2:server-side-javascript-deprecated');
    expect(hits).toContain('2:javascript-removed-statics');
    expect(hits.filter((h) => h.startsWith('3:'))).toEqual([]);
    expect(hits.filter((h) => h.startsWith('4:'))).toEqual([]);
  });

  it('skips lines too long to be code', () => {
    expect(hitsIn(`x = "${'a'.repeat(2100)} isMaster"`)).toEqual([]);
  });
});

describe('lint Markdown', () => {
  it('shows each app and step, a table row per finding and its shapes', () => {
    const l = new Linter({ from: '4.2', to: '5.0' });
    l.add(paging(7, 'shop', 20));
    const md = renderLintMarkdown({ format: LINT_FORMAT, version: LINT_FORMAT_VERSION, from: '4.2', to: '5.0', captures: ['c.jsonl.gz'], records: 1, skipped: 0, ignored: 0, apps: l.result(), maxSeverity: 'medium' });
    expect(md).toContain('## App `shop`');
    expect(md).toContain('### 4.2 → 4.4');
    expect(md).toContain('### 4.4 → 5.0');
    expect(md).toContain('| medium | `sort-ties-paging` | 4.4 | 1 | 1 | order-only |');
    expect(md).toMatch(/e\.g\. seq 7, conn c1/);
  });
});
