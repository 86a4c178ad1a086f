import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import { buildReport } from '../../../harness/report/build.ts';
import { RENDERERS } from '../../../harness/report/registry.ts';
import { REPORT_FORMAT, REPORT_VERSION, type ReportDocument } from '../../../harness/report/schema.ts';
import { makeRun } from '../../fixtures/report/make-run.ts';

const XSD = fileURLToPath(new URL('../../fixtures/report/junit.xsd', import.meta.url));
const NOW = () => new Date('2026-11-20T11:00:00.000Z');
const config = ConfigSchema.parse({});

let dir: string;
let doc: ReportDocument;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-report-'));
  doc = await buildReport(await makeRun(join(dir, 'run')), config, { now: NOW });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('report document (JSON)', () => {
  it('is versioned and orders candidates by server version, oldest first', () => {
    const parsed = JSON.parse(RENDERERS.json.render(doc) as string) as ReportDocument;
    expect(parsed.format).toBe(REPORT_FORMAT);
    expect(parsed.version).toBe(REPORT_VERSION);
    expect(parsed.candidates).toEqual(['c44', 'c50']);
    expect(parsed.generatedAt).toBe('2026-11-20T11:00:00.000Z');
  });

  it('has one summary row per app × candidate with verdicts, counts and latency ratios', () => {
    expect(doc.summary.map((s) => `${s.app}/${s.candidate}`)).toEqual(['dre/c44', 'dre/c50', 'monolith/c44', 'monolith/c50']);
    const m50 = doc.summary.find((s) => s.app === 'monolith' && s.candidate === 'c50')!;
    expect(m50.verdict).toBe('fail');
    expect(m50.newErrors).toBe(2);
    expect(m50.replayed).toBe(41);
    expect(m50.skipped).toEqual({ handshake: 2, 'orphan-getmore': 1 });
    expect(m50.version).toBe('MongoDB 5.0.31');
    expect(doc.summary.find((s) => s.app === 'dre' && s.candidate === 'c44')!.verdict).toBe('pass');
    const m44 = doc.summary.find((s) => s.app === 'monolith' && s.candidate === 'c44')!;
    expect(m44.counts['result-differs']).toBe(1);
    expect(m44.newErrors).toBe(0);
  });

  it('names the first version where each shape changed', () => {
    const monolith = doc.matrix.find((m) => m.app === 'monolith')!;
    const byText = (t: string) => monolith.shapes.find((s) => s.shapeText.includes(t) || doc.apps[1]!.shapes[s.shape]?.includes(t))!;
    expect(byText('"find":"companies"').firstChange).toBe('c44');
    expect(byText('"findAndModify":"jobs"').firstChange).toBe('c50');
    const orders = byText('"find":"orders"');
    expect(orders.firstChange).toBe('c50');
    expect(orders.cells.find((c) => c.candidate === 'c50')!.latency).toBe('regression');
    // The cell carries the paired estimate the judgement rests on, as the latency row does.
    const row = doc.apps[1]!.latency.find((l) => l.candidate === 'c50' && l.shape === orders.shape)!;
    expect(row.paired).not.toBeNull();
    expect(orders.cells.find((c) => c.candidate === 'c50')!.pairedRatio).toBe(row.paired!.ratio);
    const md = RENDERERS.md.render(doc) as string;
    expect(md).toContain(`latency regression ×${row.paired!.ratio.toFixed(2)}`);
  });

  it('counts capture losses instead of hiding them', () => {
    expect(doc.quality.orphanGetMores).toBe(1);
    expect(doc.quality.notReplayable).toEqual({ handshake: 2, 'orphan-getmore': 1 });
    expect(doc.quality.droppedAtCapture).toBeNull();
    expect(doc.quality.corruptOutcomes).toBe(0);
  });

  it('keeps evidence per app: groups with both replies and paths, error tables, latency distributions', () => {
    const m = doc.apps.find((a) => a.app === 'monolith')!;
    const g = m.groups.find((x) => x.class === 'result-differs' && x.candidate === 'c44')!;
    expect(g.paths.map((p) => p.path)).toContain('docs[].tier');
    expect(g.example.baseline).toContain('gold');
    expect(g.example.candidate).toContain('silver');
    expect(m.errors).toEqual([expect.objectContaining({ target: 'c50', codeName: 'WriteConflict', code: 112, count: 2 })]);
    const orders = m.distributions[0]!;
    expect(Object.keys(orders.targets).sort()).toEqual(['b42', 'c44', 'c50']);
    const p50 = (t: string) => orders.targets[t]!.points.find((p) => p.p === 50)!.us;
    expect(p50('c50') / p50('b42')).toBeGreaterThan(2.5);
  });

  it('sets the exit bitmask from the verdicts (two fails, two passes: 4)', () => {
    expect(doc.summary.map((s) => s.verdict)).toEqual(['pass', 'pass', 'fail', 'fail']);
    expect(doc.exit.status).toBe(4);
  });

  it('reports and skips a corrupt outcome line, setting bit 1', async () => {
    const d2 = await buildReport(await makeRun(join(dir, 'corrupt'), { corruptLine: true, status: 'interrupted' }), config, { now: NOW });
    expect(d2.quality.corruptOutcomes).toBe(1);
    expect(d2.summary.find((s) => s.app === 'monolith' && s.candidate === 'c50')!.replayed).toBe(41);
    expect(d2.exit.status & 1).toBe(1);
    expect(d2.exit.status & 8).toBe(8);
  });
});

describe('Markdown', () => {
  it('shows the summary table, reasons, the matrix, capture quality and evidence', () => {
    const md = RENDERERS.md.render(doc) as string;
    expect(md).toMatch(/\| monolith \| c50 \| MongoDB 5\.0\.31 \| \*\*FAIL\*\* \| 41 \| 2 handshake, 1 orphan-getmore \|/);
    expect(md).toContain('## Version matrix');
    expect(md).toContain('orphan getMores (cursor opened before the capture): 1');
    expect(md).toContain('`docs[0].tier` value: "gold" → "silver"');
    // Latency rows per shape, named by command, collection and filter, then the id.
    expect(md).toMatch(/\| c50 \| find orders \{company: int\} \([0-9a-f]{12}\) \| 30 \|/);
  });
});

describe('HTML', () => {
  it('is one self-contained file: no script, no external resource', async () => {
    const html = await RENDERERS.html.render(doc);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<)]+/g)].map((m) => m[0]);
    expect(urls.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
  });

  it('has the summary table, charts and collapsible evidence', async () => {
    const html = await RENDERERS.html.render(doc);
    expect(html).toContain('<table id="summary-table"');
    expect(html.match(/<svg class="chart"/g)!.length).toBeGreaterThanOrEqual(3);
    expect(html).toContain('<details');
    expect(html).toContain('WriteConflict');
    expect(html).toContain('&#34;silver&#34;');
  });
});

describe('JUnit XML', () => {
  it('has one test case per app × candidate × shape, failing where the verdict fails', () => {
    const xml = RENDERERS.junit.render(doc) as string;
    const suites = [...xml.matchAll(/<testsuite name="([^"]+)" tests="(\d+)" failures="(\d+)"/g)].map((m) => ({ name: m[1] ?? '', tests: Number(m[2]), failures: Number(m[3]) }));
    expect(suites.map((s) => s.name)).toEqual(['dre on c44 (MongoDB 4.4.29)', 'dre on c50 (MongoDB 5.0.31)', 'monolith on c44 (MongoDB 4.4.29)', 'monolith on c50 (MongoDB 5.0.31)']);
    expect(suites.find((s) => s.name.startsWith('monolith on c50'))!.failures).toBe(2); // companies result-differs + jobs new-error
    expect(suites.find((s) => s.name.startsWith('monolith on c44'))!.failures).toBe(1);
    expect(suites.find((s) => s.name.startsWith('dre on c44'))!.failures).toBe(0);
    const cases = (xml.match(/<testcase /g) ?? []).length;
    expect(cases).toBe(suites.reduce((n, s) => n + s.tests, 0));
    expect(xml).toContain('type="new-error"');
  });

  const xmllint = spawnSync('xmllint', ['--version']).status === 0;
  it.skipIf(!xmllint)('validates against the common JUnit XSD (xmllint)', async () => {
    const file = join(dir, 'junit.xml');
    await writeFile(file, RENDERERS.junit.render(doc) as string);
    expect(existsSync(XSD)).toBe(true);
    const out = execFileSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe('');
  });

  it.skipIf(!xmllint)('stays valid XML with control characters and markup in messages', async () => {
    const nasty: ReportDocument = {
      ...doc,
      summary: doc.summary.map((s) => ({ ...s, reasons: s.reasons.map((r) => ({ ...r, message: `${r.message} <b>&"\u0001\u001f'</b>` })) })),
    };
    const file = join(dir, 'junit-nasty.xml');
    await writeFile(file, RENDERERS.junit.render(nasty) as string);
    const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
    expect(r.stderr).toContain('validates');
    expect(r.status).toBe(0);
  });
});
