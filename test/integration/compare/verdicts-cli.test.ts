import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationOutcome } from '../../../harness/model/run/outcome.ts';
import type { ReportDocument } from '../../../harness/report/schema.ts';
import { readRun, readRunOutcomes } from '../../../harness/model/run/reader.ts';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { runCli } from '../../helpers/cli.ts';
import { recordWorkload, type Step } from '../replay/record-workload.ts';

/**
 * Verdicts as a new user meets them, through the CLI on real FerretDB servers: a capture
 * holding buildInfo, serverStatus and listIndexes besides the app's reads, replayed
 * against two freshly started servers with one baseline. FerretDB lists its aggregation
 * stages (buildInfo `ferretdbFeatures.aggregationStages`) in another order on every
 * start, and serverStatus differs on every call: neither may fail the app. Then one
 * document changes on the candidate, where pre-flight cannot see it (exit 4, the report
 * names it) and where it can (the difference is the data's, told as such: exit 2).
 */
const DB = 'shop';
const ITEMS = 300;
const { Int32, Double } = BSON;
/** Each step spawns the CLI, which pays tsx start-up: seconds apiece on a busy machine. */
const CLI_TIMEOUT_MS = 120_000;

async function seed(uri: string): Promise<void> {
  const client = new MongoClient(uri);
  try {
    const db = client.db(DB);
    await db.dropDatabase();
    const docs: BSON.Document[] = Array.from({ length: ITEMS }, (_, i) => ({ _id: new Int32(i), sku: `sku-${i}`, cat: new Int32(i % 10), price: new Double(10 + i / 4) }));
    await db.collection<BSON.Document>('items').insertMany(docs);
    await db.collection('items').createIndex({ cat: 1 });
  } finally {
    await client.close();
  }
}

async function reprice(uri: string, id: number, price: number): Promise<void> {
  const client = new MongoClient(uri);
  try {
    await client.db(DB).collection<BSON.Document>('items').updateOne({ _id: new Int32(id) }, { $set: { price: new Double(price) } });
  } finally {
    await client.close();
  }
}

/** Fewer than `latency.minSamples` operations per shape and per app: these tests judge results, not latency. */
function steps(): Step[] {
  const s: Step[] = [];
  for (const conn of ['p1:1', 'p1:2', 'p1:3']) s.push({ conn, db: 'admin', command: { buildInfo: 1 } });
  for (const conn of ['p1:1', 'p1:2']) s.push({ conn, db: 'admin', command: { serverStatus: 1 } });
  s.push({ conn: 'p1:1', db: DB, command: { listIndexes: 'items' } });
  for (const id of [0, 7, 42, 250, 299]) s.push({ conn: 'p1:2', db: DB, command: { find: 'items', filter: { _id: new Int32(id) } } });
  s.push({ conn: 'p1:3', db: DB, command: { count: 'items', query: { cat: new Int32(3) } } });
  return s;
}

describe('verdicts through the CLI, two fresh FerretDB servers', () => {
  let source: FerretDbInstance;
  let a: FerretDbInstance;
  let b: FerretDbInstance;
  let work: string;
  let capture: string;

  beforeAll(async () => {
    [source, a, b] = await Promise.all([startFerretDb({ name: 'vd-source', replicaSet: false }), startFerretDb({ name: 'vd-a', replicaSet: false }), startFerretDb({ name: 'vd-b', replicaSet: false })]);
    work = await mkdtemp(join(tmpdir(), 'mc-verdicts-'));
    await Promise.all([source, a, b].map((s) => seed(s.uri)));
    capture = join(work, 'capture.mcap.gz');
    await recordWorkload(source.uri, capture, steps(), { sourceHost: 'prod-db-1.example:27017' });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([source?.stop(), a?.stop(), b?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  const replay = async (name: string) => {
    const out = join(work, name);
    const r = await runCli(['replay', '--capture', capture, '--baseline', `A=${a.uri}`, '--candidate', `B=${b.uri}`, '--out', out, '--report', 'json,md', '--no-progress'], { timeoutMs: CLI_TIMEOUT_MS });
    const doc = JSON.parse(await readFile(join(out, 'report', 'report.json'), 'utf8')) as ReportDocument;
    return { ...r, out, doc };
  };

  it('passes identical servers (exit 0): buildInfo, serverStatus and listIndexes differ only where they describe the server', async () => {
    const r = await replay('aa');
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toMatch(/^PASS test-app on B /m);
    expect(r.doc.summary).toEqual([expect.objectContaining({ verdict: 'pass', groups: 0, causes: {} })]);
    expect(r.doc.apps[0]!.groups).toEqual([]);
    // Every command of the capture ran on both servers: nothing was skipped or compared away.
    const outcomes: OperationOutcome[] = [];
    for await (const o of readRunOutcomes(r.out)) outcomes.push(o);
    expect(outcomes.map((o) => o.cmd).sort()).toEqual(['buildInfo', 'buildInfo', 'buildInfo', 'count', 'find', 'find', 'find', 'find', 'find', 'listIndexes', 'serverStatus', 'serverStatus']);
    for (const o of outcomes) expect([o.cmd, o.targets.A!.status, o.targets.B!.status]).toEqual([o.cmd, 'ok', 'ok']);
    // The feature list both servers report is one set, whatever order each start gave it.
    const stages = (t: 'A' | 'B') => (outcomes.find((o) => o.cmd === 'buildInfo')!.targets[t]!.reply as { ferretdbFeatures?: { aggregationStages?: string[] } }).ferretdbFeatures?.aggregationStages ?? [];
    expect([...stages('B')].sort()).toEqual([...stages('A')].sort());
    // serverStatus describes two processes: its differences are listed apart, not judged.
    expect(r.doc.serverDifferences.map((d) => d.command)).toContain('serverStatus');
    expect(r.doc.serverDifferences.every((d) => d.candidate === 'B')).toBe(true);
    expect(await readFile(join(r.out, 'report', 'report.md'), 'utf8')).toContain('## Server differences');
  }, CLI_TIMEOUT_MS);

  it('fails a candidate with one changed document pre-flight cannot see (exit 4), naming that document', async () => {
    // Pre-flight on a server without dbHash samples the first 200 documents by _id and the count: item 250 is past them.
    await reprice(b.uri, 250, 99.5);
    const r = await replay('changed-unseen');
    expect((await readRun(r.out)).run.preflight).toMatchObject({ method: 'sampled-docs', alike: true });
    expect(r.code, r.stderr.slice(-3000)).toBe(4);
    expect(r.stderr).toMatch(/^FAIL test-app on B .*; 1 × find items \{_id: int\} \([0-9a-f]{12}\) on items: result-differs at docs\[\]\.price \(first differing _id \{"\$numberInt":"250"\}\); cause: version/m);
    const g = r.doc.apps[0]!.groups;
    expect(g).toEqual([expect.objectContaining({ class: 'result-differs', coll: 'items', cause: 'version', count: 1 })]);
    expect(g[0]!.example.ids).toEqual(['{"$numberInt":"250"}']);
    expect(g[0]!.example.diffs).toEqual([{ path: 'docs[0].price', kind: 'value', baseline: '{"$numberDouble":"72.5"}', candidate: '{"$numberDouble":"99.5"}' }]);
  }, CLI_TIMEOUT_MS);

  it('tells a difference on a collection pre-flight found differing as the data\'s, not the version\'s: a warning (exit 2)', async () => {
    await reprice(b.uri, 7, 1.25);
    const r = await replay('changed-seen');
    const pre = (await readRun(r.out)).run.preflight!;
    expect(pre).toMatchObject({ alike: false, mismatches: [expect.stringMatching(/^shop\.items: A=\S+ B=\S+$/)] });
    expect(r.code, r.stderr.slice(-3000)).toBe(2);
    const g = r.doc.apps[0]!.groups;
    expect(g).toEqual([expect.objectContaining({ class: 'result-differs', coll: 'items', cause: 'data-differs', preflight: pre.mismatches[0], count: 2 })]);
    expect(r.doc.summary[0]).toMatchObject({ verdict: 'warn', causes: { 'data-differs': 1 } });
    expect(r.stderr).toContain(`data differs before replay, not a version difference (pre-flight: ${pre.mismatches[0]})`);
    expect(await readFile(join(r.out, 'report', 'report.md'), 'utf8')).toContain('Difference groups by cause: 1 data differs before replay.');
  }, CLI_TIMEOUT_MS);
});
