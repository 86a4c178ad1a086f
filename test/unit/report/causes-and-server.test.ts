import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareOutcomes } from '../../../harness/compare/compare.ts';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import { newHistogram, recordUs, type LatencyHistogram } from '../../../harness/model/histogram.ts';
import { OUTCOMES_FILE, RUN_FORMAT, RUN_FORMAT_VERSION, emptyCounts, type RunJson } from '../../../harness/model/run/files.ts';
import type { OperationOutcome, TargetOutcome } from '../../../harness/model/run/outcome.ts';
import { readRunOutcomes } from '../../../harness/model/run/reader.ts';
import { writeHistograms, writeRunJson } from '../../../harness/model/run/writer.ts';
import { shapeOf } from '../../../harness/model/shape.ts';
import { buildReport } from '../../../harness/report/build.ts';
import { compareRunDir } from '../../../harness/report/compare-run.ts';
import { RENDERERS } from '../../../harness/report/registry.ts';
import { CLASS_COLOURS } from '../../../harness/report/render-html.ts';
import { verdictLines } from '../../../harness/report/run-report.ts';
import type { ReportDocument } from '../../../harness/report/schema.ts';

/**
 * A run in which pre-flight found shop.companies differing (the candidate holds company
 * 7 with another tier, as in the demo), the app also calls buildInfo (another build and
 * feature order on the candidate) and a find on items changes on the candidate (the
 * version's doing: the capture recorded the baseline's answer). Five slow-ish finds
 * give a latency row with too few samples to judge.
 */
const FINDING = 'shop.companies: base=40:3fa8b2c1 cand=40:77d0e1aa';
const int = (n: number) => new BSON.Int32(n);

async function makeRun(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const outcomes: OperationOutcome[] = [];
  const hist = new Map<string, { target: string; app: string; cmd: string; shape: string; shapeText: string; hist: LatencyHistogram }>();
  const add = (coll: string | undefined, db: string, command: BSON.Document, base: TargetOutcome, cand: TargetOutcome, recorded?: OperationOutcome['recorded']) => {
    const shape = shapeOf(command);
    const cmd = Object.keys(command)[0]!;
    outcomes.push({ seq: outcomes.length, conn: 'p1:1', app: 'shop', db, ...(coll ? { coll } : {}), cmd, shape: shape.id, command, ...(recorded ? { recorded } : {}), targets: { base, cand } });
    for (const [target, o] of Object.entries({ base, cand })) {
      const k = `${target}|${shape.id}`;
      let h = hist.get(k);
      if (!h) hist.set(k, (h = { target, app: 'shop', cmd, shape: shape.id, shapeText: shape.text, hist: newHistogram() }));
      recordUs(h.hist, o.latencyUs ?? 100);
    }
  };
  const ok = (docs: BSON.Document[], latencyUs = 500): TargetOutcome => ({ status: 'ok', reply: { cursor: { firstBatch: [], id: new BSON.Long(0), ns: 'shop.x' }, ok: new BSON.Double(1) }, docs, latencyUs });
  for (let i = 0; i < 10; i++) {
    const doc = { _id: int(i), tier: 'gold' };
    add('companies', 'shop', { find: 'companies', filter: { _id: int(i) } }, ok([doc]), ok([i === 7 ? { ...doc, tier: 'silver' } : doc]), { docs: [doc] });
  }
  for (let i = 0; i < 5; i++) {
    const doc = { _id: int(i), price: new BSON.Double(10 + i) };
    add('items', 'shop', { find: 'items', filter: { sku: `sku-${i}` } }, ok([doc], 800), ok([i === 2 ? { ...doc, price: new BSON.Double(99) } : doc], 900), { docs: [doc] });
  }
  const stages = ['$match', '$group', '$sort', '$limit', '$project'];
  const buildInfo = (git: string, s: string[]): TargetOutcome => ({ status: 'ok', reply: { version: '7.0.42', gitVersion: git, ferretdbFeatures: { aggregationStages: s }, ok: new BSON.Double(1) }, latencyUs: 90 });
  for (let i = 0; i < 3; i++) add(undefined, 'admin', { buildInfo: int(1) }, buildInfo('aaa111', stages), buildInfo('bbb222', [...stages].reverse()));
  await writeFile(join(dir, OUTCOMES_FILE), `${outcomes.map((o) => BSON.EJSON.stringify(o, { relaxed: false })).join('\n')}\n`);
  await writeHistograms(dir, hist.values());
  const counts = emptyCounts();
  counts.records = outcomes.length;
  counts.outcomes = outcomes.length;
  const target = (name: string, role: 'baseline' | 'candidate') => ({ name, role, uri: `mongodb://${name}.internal:27017/`, serverVersion: '7.0.42', product: 'FerretDB v1.24.2 (reports 7.0.42)' });
  const run: RunJson = {
    format: RUN_FORMAT,
    version: RUN_FORMAT_VERSION,
    status: 'complete',
    inputs: ['capture.mcap.gz'],
    targets: [target('base', 'baseline'), target('cand', 'candidate')],
    options: { timing: 'fast', mapDb: {} },
    counts,
    preflight: { method: 'sampled-docs', alike: false, namespaces: 2, mismatches: [FINDING] },
    notes: [],
    startedAt: '2026-11-20T10:00:00.000Z',
    endedAt: '2026-11-20T10:01:00.000Z',
  };
  await writeRunJson(dir, run);
  return dir;
}

let dir: string;
let doc: ReportDocument;
const config = ConfigSchema.parse({});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-report-causes-'));
  doc = await buildReport(await makeRun(join(dir, 'run')), config, { now: () => new Date('2026-11-20T11:00:00.000Z') });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('compareRunDir', () => {
  it('passes run.json\'s pre-flight result to the comparison, which an in-memory comparison gets the same way', async () => {
    const { compare } = await compareRunDir(join(dir, 'run'));
    const outcomes: OperationOutcome[] = [];
    for await (const o of readRunOutcomes(join(dir, 'run'))) outcomes.push(o);
    expect(compare).toEqual(compareOutcomes(outcomes, { baseline: 'base', candidates: ['cand'], preflight: { mismatches: [FINDING] }, mapDb: {} }));
    expect(compare.groups.map((g) => [g.coll, g.cause])).toEqual(expect.arrayContaining([['companies', 'data-differs'], ['items', 'version']]));
  });
});

describe('report: causes', () => {
  it('counts difference groups per cause in the summary, and weighs the data-differs group as a warning', () => {
    const s = doc.summary[0]!;
    expect(s.causes).toEqual({ 'data-differs': 1, version: 1 });
    expect(s.groups).toBe(2);
    // The version difference fails; the data difference alone would only warn.
    expect(s.verdict).toBe('fail');
    const data = s.reasons.find((r) => r.evidence.kind === 'group' && r.evidence.cause === 'data-differs')!;
    expect(data.level).toBe('warn');
    expect(data.message).toContain(`data differs before replay, not a version difference (pre-flight: ${FINDING})`);
    expect(doc.preflight?.mismatches).toEqual([FINDING]);
  });

  it('says it in Markdown: groups by cause, the pre-flight finding in plain words, the cause of each group', () => {
    const md = RENDERERS.md.render(doc);
    expect(md).toContain('| 2 | 1 data differs before replay, 1 version |');
    expect(md).toContain('Difference groups by cause: 1 data differs before replay, 1 version.');
    expect(md).toMatch(/Pre-flight \(sampled-docs\) found 1 collection\(s\) that start differently/);
    expect(md).toContain(`- pre-flight: ${FINDING}`);
    expect(md).toMatch(/### result-differs: 1 × find companies \{_id: int\} \([0-9a-f]{12}\) on companies \(cand\)\n\nShape: .*\n\nCause: \*\*data differs before replay, not a version difference/);
    expect(md).toContain('Differing documents (first): _id {"$numberInt":"7"}');
  });

  it('prints verdict lines that name shapes by command and filter, with the groups by cause', () => {
    const [line] = verdictLines(doc);
    expect(line).toMatch(/^FAIL shop on cand \(FerretDB v1\.24\.2 \(reports 7\.0\.42\)\): 18 replayed, 2 difference group\(s\) \(1 data differs before replay, 1 version\), 0 new error\(s\); 1 × find items \{sku: string\} \([0-9a-f]{12}\) on items: result-differs at docs\[\]\.price/);
  });
});

describe('report: server differences', () => {
  it('keeps buildInfo out of the app\'s groups and lists its differences side by side, deduplicated', () => {
    expect(doc.apps[0]!.groups.some((g) => g.cmd === 'buildInfo')).toBe(false);
    expect(doc.serverDifferences).toEqual([
      { candidate: 'cand', command: 'buildInfo', operations: 3, paths: [{ path: 'reply.gitVersion', kind: 'value', baseline: '"aaa111"', candidate: '"bbb222"', count: 3 }], morePaths: 0 },
    ]);
    const md = RENDERERS.md.render(doc);
    expect(md).toContain('## Server differences');
    expect(md).toContain('### buildInfo on cand (3 operations differed)');
    expect(md).toContain('| `reply.gitVersion` | "aaa111" | "bbb222" | 3 |');
    const html = RENDERERS.html.render(doc);
    expect(html).toContain('<h2 id="server">Server differences</h2>');
    expect(html).toContain('<td><code>reply.gitVersion</code></td><td><code>&#34;aaa111&#34;</code></td><td><code>&#34;bbb222&#34;</code></td><td class="n">3</td>');
    expect(JSON.parse(RENDERERS.json.render(doc)).serverDifferences).toHaveLength(1);
  });
});

describe('report: HTML colours', () => {
  it('does not draw insufficient samples in green', () => {
    const html = RENDERERS.html.render(doc);
    const rows = [...html.matchAll(/<tr data-shape="[^"]+">.*?<\/tr>/g)].map((m) => m[0]);
    const insufficient = rows.filter((r) => r.includes('insufficient-samples'));
    expect(insufficient.length).toBeGreaterThan(0);
    for (const r of insufficient) {
      expect(r).toContain('<td class="j-insufficient">insufficient-samples</td>');
      expect(r).not.toContain('v-pass');
    }
    expect(html).toMatch(/\.j-insufficient\{color:#777/);
  });

  it('draws each class in its own colour: identical green, never red, whichever classes are present', () => {
    expect(CLASS_COLOURS.identical).toBe('#2ca02c');
    expect(new Set(Object.values(CLASS_COLOURS)).size).toBe(Object.keys(CLASS_COLOURS).length);
    const html = RENDERERS.html.render(doc);
    const bars = [...html.matchAll(/<rect [^>]*fill="(#[0-9a-f]{6})"><title>([a-z-]+): \d+<\/title>/g)].map((m) => [m[2], m[1]]);
    expect(bars).toEqual(expect.arrayContaining([['identical', '#2ca02c'], ['result-differs', '#d62728']]));
    for (const [cls, colour] of bars) expect(colour).toBe(CLASS_COLOURS[cls as keyof typeof CLASS_COLOURS]);
  });
});
