import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportDocument } from '../../../harness/report/schema.ts';
import { REPO_ROOT, runCli, type CliResult } from '../../helpers/cli.ts';

/**
 * `mongo-compat demo` end to end, as a new user runs it: three real FerretDB servers,
 * the workload through the real proxy, a real replay, every report format. Then the
 * browser test opens that real run's HTML in headless Chromium.
 */
const CHROMIUM = '/usr/bin/chromium';
const TWO_MINUTES = 120_000;

let reports: string;
let result: CliResult;
let html: string;

beforeAll(async () => {
  reports = await mkdtemp(join(tmpdir(), 'mc-demo-'));
  result = await runCli(['demo', '--reports', reports], { timeoutMs: TWO_MINUTES + 30_000 });
  html = result.stdout.trim();
}, TWO_MINUTES + 60_000);

afterAll(async () => {
  await rm(reports, { recursive: true, force: true });
});

describe('mongo-compat demo', () => {
  it('exits 0 within two minutes, printing the stages on stderr and the HTML path on stdout', () => {
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    expect(result.ms).toBeLessThan(TWO_MINUTES);
    for (let n = 1; n <= 5; n++) expect(result.stderr).toContain(`[${n}/5]`);
    // Company 7 is the clone's data, not the version (pre-flight saw it): a warning, not a failure.
    expect(result.stderr).toMatch(/verdicts:\n {2}WARN shop-monolith on candidate/);
    expect(html).toMatch(/demo-[^/]+\/report\.html$/);
    const dir = join(html, '..');
    for (const f of ['report.html', 'report.md', 'report.json', 'junit.xml', 'capture.jsonl.gz', 'run/run.json']) expect(existsSync(join(dir, f)), f).toBe(true);
  });

  it('shows the known difference (the changed company document) and the latency change of the shape that lost its index', async () => {
    const doc = JSON.parse(await readFile(join(html, '..', 'report.json'), 'utf8')) as ReportDocument;
    // Read from the capture's footer: the proxy kept up, so a known zero rather than unknown.
    expect(doc.quality.droppedAtCapture).toBe(0);
    const app = doc.apps.find((a) => a.app === 'shop-monolith')!;
    const changed = app.groups.find((g) => g.class === 'result-differs' && g.coll === 'companies')!;
    expect(changed.paths.map((p) => p.path)).toContain('docs[].tier');
    expect(changed.example.baseline).toContain('"gold"');
    expect(changed.example.candidate).toContain('"silver"');
    // Pre-flight found the companies collection differing before replay: that is the cause, named.
    expect(changed.cause).toBe('data-differs');
    expect(changed.preflight).toMatch(/^shop\.companies: baseline=\S+ candidate=\S+$/);
    expect(changed.example.ids).toEqual(['{"$numberInt":"7"}']);
    expect(doc.summary[0]!.causes['data-differs']).toBeGreaterThanOrEqual(1);
    expect(doc.summary[0]!.reasons.find((r) => r.evidence.kind === 'group' && r.evidence.shape === changed.shape)).toMatchObject({ level: 'warn' });
    // The orders-of-one-company query, sorted by placedAt: the shape whose index the candidate lacks.
    const ordersShape = Object.entries(app.shapes).find(([, text]) => text.includes('"find":"orders"') && text.includes('"sort":{"placedAt"'))![0];
    const row = app.latency.find((l) => l.shape === ordersShape)!;
    expect(row.judgement).toBe('regression');
    // The demo explains each read shape on both sides: the report carries the plans, that shape's among them.
    expect(doc.plans?.some((p) => p.shape === ordersShape)).toBe(true);
    expect(row.ratios.p50!).toBeGreaterThan(1.5);
    const page = await readFile(html, 'utf8');
    expect(page).toContain('docs[].tier');
    expect(page).toMatch(new RegExp(`<tr data-shape="${ordersShape}">.*regression</td></tr>`));
  });
});

describe('HTML report in a real browser', () => {
  const why = existsSync(CHROMIUM) ? '' : `${CHROMIUM} is absent (apt-get install chromium)`;
  it.skipIf(why !== '')(`renders with no console error, a summary table and charts${why ? ` (skipped: ${why})` : ''}`, async () => {
    expect(result.code).toBe(0);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(`file://${html}`);
      expect(await page.locator('#summary-table tbody tr').count()).toBeGreaterThan(0);
      expect(await page.locator('#summary-table').innerText()).toContain('shop-monolith');
      const charts = page.locator('svg.chart');
      expect(await charts.count()).toBeGreaterThan(0);
      const box = await charts.first().boundingBox();
      expect(box!.width).toBeGreaterThan(100);
      expect(await page.locator('svg.chart path').count()).toBeGreaterThan(0);
      // Readable without scrolling sideways.
      // A string expression: the test is type-checked without the DOM library.
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect(overflow).toBeLessThanOrEqual(0);
      const out = join(REPO_ROOT, 'test-output');
      await mkdir(out, { recursive: true });
      await page.screenshot({ path: join(out, 'demo-report.png'), fullPage: true });
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
