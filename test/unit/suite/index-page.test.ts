import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import type { CellChanges } from '../../../harness/suite/compare-history.ts';
import type { HistoryCell, HistoryEntry } from '../../../harness/suite/history.ts';
import { renderIndexHtml, renderIndexMarkdown, trendOf, type IndexCell, type IndexDocument } from '../../../harness/suite/index-page.ts';

const base = (app: string, candidate: string, verdict: HistoryCell['verdict']): HistoryCell => ({
  app,
  candidate,
  version: '7.0',
  verdict,
  groups: [],
  newErrors: 0,
  latency: {},
  quality: { droppedAtCapture: 0, unparseable: 0, corruptOutcomes: 0, records: 1, outcomes: 1 },
});
const changes = (c: HistoryCell, over: Partial<CellChanges> = {}): CellChanges => ({ app: c.app, candidate: c.candidate, previousRunId: null, new: [], fixed: [], open: [], accepted: [], ...over });

function doc(cells: IndexCell[]): IndexDocument {
  return {
    format: 'mongo-compat-suite-index',
    version: 1,
    runId: 'r9',
    startedAt: 's',
    endedAt: 'e',
    baseline: 'base (6.0)',
    apps: ['shop', '<b>x'],
    candidates: [{ name: 'v70', version: '7.0' }, { name: 'v80', version: '8.0' }],
    cells,
    failOn: 'new',
    exit: { status: 4, reasons: ['4: fail with new difference groups: shop on v80'] },
    warnings: [],
    history: 'h/history.jsonl',
  };
}

describe('the suite index page', () => {
  const g = { id: 'g-0123456789ab', shape: 's', label: 'find <orders>', class: 'result-differs', paths: ['docs[].total'], count: 3 };
  const pass = base('shop', 'v70', 'pass');
  const fail = { ...base('shop', 'v80', 'fail'), groups: [g] };
  const err = { ...base('<b>x', 'v70', 'error'), error: 'before hook of v70 failed with exit status 3' };
  const page = doc([
    { ...pass, report: 'shop/report.html', changes: changes(pass), trend: ['pass', 'pass'], p99Trend: [1.0, 1.3] },
    { ...fail, report: 'shop/report.html', changes: changes(fail, { new: [g] }), trend: ['-', 'pass', 'fail'], p99Trend: [null, 1, 1] },
    { ...err, changes: changes(err), trend: ['error'], p99Trend: [null] },
  ]);

  it('links every cell that has a report, marks error cells with their error, escapes names and draws the strip', () => {
    const html = renderIndexHtml(page);
    expect(html.match(/<a href="shop\/report\.html">/g)).toHaveLength(2);
    expect(html).toContain('<td class="error" data-app="&#60;b&#62;x" data-candidate="v70"><b>ERROR</b><br><small class="cell-error">before hook of v70 failed with exit status 3</small>');
    expect(html).not.toContain('<b>x');
    expect(html).toContain('find &#60;orders&#62;');
    expect(html).toMatch(/<div class="strip"[^>]*><span class="none" title="-"><\/span><span class="pass" title="pass"><\/span><span class="fail" title="fail"><\/span><\/div>/);
    // Self-contained: nothing loaded from elsewhere.
    expect(html).not.toMatch(/<script|<link|src=|url\(/);
    expect(html).toMatch(/<td>—<\/td>/);
    // The p99 ratio line: one where two ratios are known, none with a single one.
    expect(html.match(/<svg class="p99"/g)).toHaveLength(2);
    expect(html).toContain('aria-label="p99 ratio over the last runs, last 1.30"');
    expect(html).toContain('points="0.0,26.0 120.0,2.0"');
  });

  it('writes the same matrix in Markdown with the new groups listed', () => {
    const md = renderIndexMarkdown(page);
    expect(md).toContain('| shop | [PASS: 0 new, 0 open, 0 fixed](shop/report.html) `PP` | [FAIL: 1 new, 0 open, 0 fixed](shop/report.html) `·PF` |');
    expect(md).toContain('- NEW g-0123456789ab: result-differs find <orders> at docs[].total');
  });

  it('takes the verdict strip from the last runs, this one last', () => {
    const run = (id: string, verdict: HistoryCell['verdict'] | null): HistoryEntry => ({ format: 'mongo-compat-suite-history', version: 1, runId: id, startedAt: '', endedAt: '', tool: { name: 'm', version: '0' }, targets: {}, cells: verdict ? [base('shop', 'v70', verdict)] : [] });
    const history = [run('1', 'fail'), run('2', null), run('3', 'warn'), run('4', 'pass')];
    expect(trendOf(history, base('shop', 'v70', 'fail'), 3)).toEqual(['warn', 'pass', 'fail']);
    expect(trendOf(history, base('shop', 'v70', 'fail'), 10)).toEqual(['fail', '-', 'warn', 'pass', 'fail']);
  });
});

describe('the suite config section', () => {
  it('takes an app as a capture or a scenario, never both, and accepts with a reason and an expiry', () => {
    const ok = ConfigSchema.safeParse({ suite: { apps: { a: { capture: ['x.jsonl.gz'] }, b: { scenario: 'gcsp', allowWrites: true } }, accept: [{ id: 'g-0123456789ab', reason: 'known', expires: '2027-01-31' }] } });
    expect(ok.success).toBe(true);
    expect(ok.data?.suite.failOn).toBe('new');
    const both = ConfigSchema.safeParse({ suite: { apps: { a: { capture: ['x'], scenario: 'gcsp' } } } });
    expect(both.error?.issues[0]?.message).toBe('give an app exactly one of capture, scenario or run');
    const badAccept = ConfigSchema.safeParse({ suite: { accept: [{ id: 'g-1', reason: 'r', expires: 'soon' }] } });
    expect(badAccept.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['suite.accept.0.expires', 'suite.accept.0.id']);
  });
});
