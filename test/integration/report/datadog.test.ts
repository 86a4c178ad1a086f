import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import { buildReport } from '../../../harness/report/build.ts';
import { sendToDatadog } from '../../../harness/report/datadog.ts';
import type { ReportDocument } from '../../../harness/report/schema.ts';
import { runCli } from '../../helpers/cli.ts';
import { startDatadogSink, type DatadogSink } from '../../helpers/datadog-sink.ts';
import { makeRun } from '../../fixtures/report/make-run.ts';

let sink: DatadogSink;
let dir: string;
let doc: ReportDocument;

beforeAll(async () => {
  sink = await startDatadogSink();
  dir = await mkdtemp(join(tmpdir(), 'mc-dd-'));
  doc = await buildReport(await makeRun(join(dir, 'run')), ConfigSchema.parse({}));
});

afterAll(async () => {
  await sink.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('Datadog', () => {
  it('sends v2 metric series tagged by app, target, version and shape, and one event per failed verdict', async () => {
    sink.received.length = 0;
    sink.status = 202;
    const out = await sendToDatadog(doc, { apiKey: 'test-key', baseUrl: sink.url, tags: ['team:shop'] });
    expect(out.warning).toBeUndefined();
    expect(out.sent).toBe(true);
    const series = sink.received.find((r) => r.url === '/api/v2/series')!;
    expect(series.method).toBe('POST');
    expect(series.apiKey).toBe('test-key');
    const list = series.body.series as { metric: string; type: number; tags: string[]; points: { value: number }[] }[];
    const find = (metric: string, ...tags: string[]) => list.find((s) => s.metric === metric && tags.every((t) => s.tags.includes(t)));
    expect(find('mongo_compat.new_errors', 'app:monolith', 'target:c50', 'version:5.0.31')!.points[0]!.value).toBe(2);
    expect(find('mongo_compat.differences', 'app:monolith', 'target:c44', 'class:result-differs')!.points[0]!.value).toBe(1);
    expect(find('mongo_compat.ops.replayed', 'app:dre', 'target:c44')!.points[0]!.value).toBe(25);
    const p99 = list.filter((s) => s.metric === 'mongo_compat.latency.p99' && s.tags.includes('target:c50') && s.tags.some((t) => t.startsWith('shape:')));
    expect(p99.length).toBeGreaterThan(0);
    // The paired estimate and its interval, per candidate and shape, as in the report's latency rows.
    const rows = doc.apps.flatMap((a) => a.latency.filter((l) => l.shape !== '*' && l.paired).map((l) => ({ app: a.app, l })));
    expect(rows.length).toBeGreaterThan(0);
    for (const { l } of rows) {
      const tags = [`target:${l.candidate}`, `shape:${l.shape}`];
      expect(find('mongo_compat.latency.paired_ratio', ...tags)!.points[0]!.value).toBe(l.paired!.ratio);
      expect(find('mongo_compat.latency.paired_ratio_lower', ...tags)!.points[0]!.value).toBe(l.paired!.lower);
      expect(find('mongo_compat.latency.paired_ratio_upper', ...tags)!.points[0]!.value).toBe(l.paired!.upper);
    }
    expect(list.every((s) => s.tags.includes('team:shop') && s.type === 3)).toBe(true);
    const events = sink.received.filter((r) => r.url === '/api/v1/events');
    expect(events).toHaveLength(2); // monolith fails on c44 and on c50
    expect(events.map((e) => e.body.title).sort()).toEqual(['mongo-compat: monolith fails on c44 (MongoDB 4.4.29)', 'mongo-compat: monolith fails on c50 (MongoDB 5.0.31)']);
    expect(events[0]!.body.alert_type).toBe('error');
    expect(String(events.find((e) => String(e.body.title).includes('c50'))!.body.text)).toContain('new-error');
  });

  it('turns a refused send into a one-line warning', async () => {
    sink.status = 403;
    const out = await sendToDatadog(doc, { apiKey: 'bad-key', baseUrl: sink.url });
    expect(out.sent).toBe(false);
    expect(out.warning).toMatch(/^Datadog: send failed \(HTTP 403\)/);
    expect(out.warning).not.toContain('\n');
    sink.status = 202;
  });

  it('still writes the complete report when the send is refused (CLI --datadog)', async () => {
    sink.status = 403;
    const runDir = join(dir, 'run');
    const out = join(dir, 'cli-out');
    const r = await runCli(['report', runDir, '--format', 'json,html,md,junit', '--out', out, '--datadog'], { env: { DD_API_KEY: 'bad-key', MONGO_COMPAT_DATADOG_URL: sink.url }, timeoutMs: 60_000 });
    sink.status = 202;
    expect(r.stderr).toMatch(/warning: Datadog: send failed \(HTTP 403\)/);
    expect(r.code).toBe(4); // the fail verdicts, not the send
    for (const f of ['report.json', 'report.html', 'report.md', 'junit.xml']) expect(existsSync(join(out, f))).toBe(true);
    expect(r.stdout.trim().split('\n')).toHaveLength(4);
    const json = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as ReportDocument;
    expect(json.summary).toHaveLength(4);
  }, 60_000); // as long as runCli gives the CLI: a loaded machine needs more than the default 30 s

  it('sends nothing and says so without DD_API_KEY', async () => {
    sink.received.length = 0;
    const out = await sendToDatadog(doc, { baseUrl: sink.url });
    expect(out.sent).toBe(false);
    expect(out.warning).toContain('DD_API_KEY');
    expect(sink.received).toHaveLength(0);
  });
});
