import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSuiteToDatadog } from '../../../harness/suite/datadog.ts';
import { runCli } from '../../helpers/cli.ts';
import { startDatadogSink, type DatadogSink } from '../../helpers/datadog-sink.ts';
import type { HistoryGroup } from '../../../harness/suite/history.ts';
import type { IndexCell, IndexDocument } from '../../../harness/suite/index-page.ts';

let sink: DatadogSink;
let out: string;

const group = (id: string, label: string): HistoryGroup => ({ id, shape: 's1', label, class: 'result-differs', paths: ['$.total'], count: 3 });
const quality = { droppedAtCapture: 0, unparseable: 0, corruptOutcomes: 0, records: 10, outcomes: 20 };
const cell = (c: Partial<Omit<IndexCell, 'changes'>> & Pick<IndexCell, 'app' | 'candidate' | 'verdict'> & { changes?: Partial<IndexCell['changes']> }): IndexCell => ({
  version: '7.0.14',
  groups: [],
  newErrors: 0,
  latency: {},
  quality,
  trend: [],
  p99Trend: [],
  ...c,
  changes: { app: c.app, candidate: c.candidate, previousRunId: 'r-1', new: [], fixed: [], open: [], accepted: [], ...c.changes },
});

const gNew = group('g-000000000001', 'orders: find by customer');
const gOpen = group('g-000000000002', 'orders: aggregate totals');
const gAccepted = group('g-000000000003', 'carts: lookup order');
const index: IndexDocument = {
  format: 'mongo-compat-suite-index',
  version: 1,
  runId: 'r-2',
  startedAt: '2026-12-01T02:00:00.000Z',
  endedAt: '2026-12-01T02:30:00.000Z',
  baseline: 'v60 (6.0.19)',
  apps: ['shop', 'carts'],
  candidates: [
    { name: 'v70', version: '7.0.14' },
    { name: 'v80', version: '8.0.4' },
  ],
  cells: [
    // A new FAIL: one new group, one still open.
    cell({ app: 'shop', candidate: 'v70', verdict: 'fail', groups: [gNew, gOpen], latency: { '*': 1.25 }, report: 'shop/report.html', changes: { new: [gNew], open: [gOpen] } }),
    cell({ app: 'shop', candidate: 'v80', version: '8.0.4', verdict: 'pass', latency: { '*': 0.9 }, changes: { fixed: [gOpen] } }),
    // Fails, but its only new group is accepted: metrics, no event.
    cell({ app: 'carts', candidate: 'v70', verdict: 'fail', groups: [gAccepted], changes: { new: [gAccepted], accepted: [gAccepted.id] } }),
    cell({ app: 'carts', candidate: 'v80', version: 'unknown', verdict: 'error', error: 'before hook exited 1' }),
  ],
  failOn: 'new',
  exit: { status: 4, reasons: ['shop on v70: 1 new difference group'] },
  warnings: [],
  history: '/tmp/history/history.jsonl',
};

beforeAll(async () => {
  sink = await startDatadogSink();
  out = await mkdtemp(join(tmpdir(), 'mc-suite-dd-'));
  // shop's report.json carries the whole-app p50 ratios; carts has none (no p50 sent for it).
  await mkdir(join(out, 'shop'), { recursive: true });
  const summary = [
    { app: 'shop', candidate: 'v70', latency: { p50Ratio: 1.1, p99Ratio: 1.25 } },
    { app: 'shop', candidate: 'v80', latency: { p50Ratio: 0.95, p99Ratio: 0.9 } },
  ];
  await writeFile(join(out, 'shop', 'report.json'), JSON.stringify({ summary }));
});

afterAll(async () => {
  await sink.stop();
  await rm(out, { recursive: true, force: true });
});

type Series = { metric: string; type: number; tags: string[]; points: { timestamp: number; value: number }[] };

describe('suite metrics and events in Datadog', () => {
  it('sends per-cell gauges tagged by app, candidate and version, and one event per new FAIL', async () => {
    sink.received.length = 0;
    sink.status = 202;
    const r = await sendSuiteToDatadog(index, out, { apiKey: 'k-1', baseUrl: sink.url, tags: ['team:platform'] });
    expect(r).toMatchObject({ sent: true, events: 1 });
    expect(r.warning).toBeUndefined();
    const seriesPost = sink.received.find((x) => x.url === '/api/v2/series')!;
    expect(seriesPost.apiKey).toBe('k-1');
    const list = seriesPost.body.series as Series[];
    expect(list.length).toBe(r.series);
    const value = (metric: string, app: string, candidate: string) =>
      list.find((s) => s.metric === `mongo_compat.suite.${metric}` && s.tags.includes(`app:${app}`) && s.tags.includes(`candidate:${candidate}`))?.points[0]?.value;
    expect(value('verdict', 'shop', 'v70')).toBe(2);
    expect(value('verdict', 'shop', 'v80')).toBe(0);
    expect(value('verdict', 'carts', 'v80')).toBe(3);
    expect(value('difference_groups', 'shop', 'v70')).toBe(2);
    expect(value('new_groups', 'shop', 'v70')).toBe(1);
    expect(value('open_groups', 'shop', 'v70')).toBe(1);
    expect(value('fixed_groups', 'shop', 'v80')).toBe(1);
    expect(value('latency.p99_ratio', 'shop', 'v70')).toBe(1.25);
    expect(value('latency.p50_ratio', 'shop', 'v70')).toBe(1.1);
    expect(value('latency.p50_ratio', 'shop', 'v80')).toBe(0.95);
    // No report.json for carts, and an error cell has only its verdict level.
    expect(value('latency.p50_ratio', 'carts', 'v70')).toBeUndefined();
    expect(value('new_groups', 'carts', 'v80')).toBeUndefined();
    const shopV80 = list.find((s) => s.tags.includes('app:shop') && s.tags.includes('candidate:v80'))!;
    expect(shopV80.tags).toEqual(expect.arrayContaining(['version:8.0.4', 'suite_run:r-2', 'team:platform']));
    expect(list.every((s) => s.type === 3 && s.points[0]!.timestamp === Date.parse(index.endedAt) / 1000)).toBe(true);

    const events = sink.received.filter((x) => x.url === '/api/v1/events');
    expect(events).toHaveLength(1); // carts on v70 fails too, but its new group is accepted
    expect(events[0]!.body.title).toBe('mongo-compat suite: shop fails on v70 (7.0.14): 1 new difference group(s)');
    expect(events[0]!.body.alert_type).toBe('error');
    expect(String(events[0]!.body.text)).toContain('g-000000000001');
    expect(String(events[0]!.body.text)).not.toContain('g-000000000002');
    expect(events[0]!.body.tags).toEqual(expect.arrayContaining(['app:shop', 'candidate:v70', 'version:7.0.14']));
  });

  it('turns a refused send into a one-line warning', async () => {
    sink.status = 403;
    const r = await sendSuiteToDatadog(index, out, { apiKey: 'bad', baseUrl: sink.url });
    sink.status = 202;
    expect(r.sent).toBe(false);
    expect(r.warning).toMatch(/^Datadog: send failed \(HTTP 403\)/);
    expect(r.warning).not.toContain('\n');
  });

  it('sends nothing and says so without DD_API_KEY', async () => {
    sink.received.length = 0;
    const r = await sendSuiteToDatadog(index, out, { baseUrl: sink.url });
    expect(r.sent).toBe(false);
    expect(r.warning).toContain('DD_API_KEY');
    expect(sink.received).toHaveLength(0);
  });

  it('`suite --datadog` sends the verdict level of a cell that could not run, after writing the index', async () => {
    sink.received.length = 0;
    const cwd = join(out, 'cli');
    await mkdir(cwd, { recursive: true });
    await writeFile(join(cwd, 'c.yaml'), 'suite:\n  apps:\n    shop: { capture: [missing*.jsonl.gz] }\n  baseline: mongodb://127.0.0.1:9/\n  candidates: [mongodb://127.0.0.1:10/]\n  history: h\n');
    const r = await runCli(['suite', '--config', 'c.yaml', '--out', 'o', '--datadog'], { cwd, env: { DD_API_KEY: 'k-2', MONGO_COMPAT_DATADOG_URL: sink.url }, timeoutMs: 60_000 });
    expect(r.code).toBe(1); // the error cell, not the send
    expect(r.stderr).toMatch(/^Datadog: sent 1 series and 0 event\(s\)$/m);
    const list = sink.received.find((x) => x.url === '/api/v2/series')!.body.series as Series[];
    expect(list.map((s) => [s.metric, s.points[0]!.value, s.tags.includes('app:shop')])).toEqual([['mongo_compat.suite.verdict', 3, true]]);
  }, 60_000);
});
