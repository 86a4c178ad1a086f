import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlansConfigSchema } from '../../../harness/config/schema.ts';
import { RUN_JSON, type RunJson } from '../../../harness/model/run/files.ts';
import { explainRun } from '../../../harness/plans/run-plans.ts';
import { readPlansFile } from '../../../harness/plans/result.ts';
import { planSignature } from '../../../harness/plans/tree.ts';
import { replay } from '../../../harness/replay/run.ts';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import { renderReport } from '../../../harness/report/run-report.ts';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { recordWorkload, type Step } from '../replay/record-workload.ts';
import { runCli } from '../../helpers/cli.ts';

const DB = 'shop';
const { Int32 } = BSON;

async function withClient<T>(uri: string, fn: (c: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** The baseline's data: 60 items with an index on `a`. */
async function seed(uri: string): Promise<void> {
  await withClient(uri, async (c) => {
    const db = c.db(DB);
    await db.dropDatabase();
    await db.collection<{ _id: string }>('items').insertMany(Array.from({ length: 60 }, (_, i) => ({ _id: `k${i}`, a: new Int32(i), b: new Int32(i % 4), state: 'pending' })));
    await db.collection('items').createIndex({ a: 1 });
  });
}

async function dropAll(uri: string): Promise<void> {
  await withClient(uri, (c) => c.db(DB).dropDatabase().then(() => undefined));
}

/** Every document of every collection of the database, canonical and sorted: what explaining must not change. */
async function snapshot(uri: string): Promise<string> {
  return withClient(uri, async (c) => {
    const db = c.db(DB);
    const names = (await db.listCollections().toArray()).map((x) => x.name).sort();
    const out: string[] = [];
    for (const n of names) {
      const docs = await db.collection(n).find({}, { sort: { _id: 1 }, promoteValues: false }).toArray();
      out.push(`${n}: ${BSON.EJSON.stringify(docs, { relaxed: false })}`);
    }
    return out.join('\n');
  });
}

const STEPS: Step[] = [
  { conn: 'c1', db: DB, command: { find: 'items', filter: { a: new Int32(5) } } },
  { conn: 'c1', db: DB, command: { find: 'items', filter: { _id: 'k7' } } },
  { conn: 'c1', db: DB, command: { aggregate: 'items', pipeline: [{ $match: { b: new Int32(1) } }, { $group: { _id: '$state', n: { $sum: new Int32(1) } } }], cursor: {} } },
  { conn: 'c1', db: DB, command: { count: 'items', query: { b: new Int32(2) } } },
  { conn: 'c1', db: DB, command: { distinct: 'items', key: 'state', query: {} } },
  { conn: 'c2', db: DB, command: { update: 'items', updates: [{ q: { a: new Int32(5) }, u: { $set: { state: 'running' } } }, { q: { a: new Int32(6) }, u: { $set: { state: 'running' } } }] } },
  { conn: 'c2', db: DB, command: { delete: 'items', deletes: [{ q: { a: new Int32(9) }, limit: new Int32(1) }] } },
  { conn: 'c2', db: DB, command: { findAndModify: 'items', query: { state: 'pending' }, sort: { a: new Int32(1) }, update: { $set: { state: 'claimed' } } } },
];

/** Accepts connections and never answers: a target that hangs. */
function silentServer(): Promise<{ server: Server; port: number; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        server,
        port,
        stop: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

describe('mongo-compat plans on FerretDB', () => {
  let a: FerretDbInstance;
  let b: FerretDbInstance;
  let work: string;
  let runDir: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startFerretDb({ name: 'a', replicaSet: false }), startFerretDb({ name: 'b', replicaSet: false })]);
    work = await mkdtemp(join(tmpdir(), 'mc-plans-'));
    const capture = join(work, 'capture.mcap.gz');
    await seed(a.uri);
    await recordWorkload(a.uri, capture, STEPS, { sourceHost: 'prod-db-1.example:27017' });
    // The candidate lacks the data (and so the index): the baseline is seeded again before the replay.
    await seed(a.uri);
    await dropAll(b.uri);
    runDir = join(work, 'run');
    await replay({ captures: [capture], baselines: [`A=${a.uri}`], candidates: [`B=${b.uri}`], out: runDir, allowWrites: true, concurrency: 2 });
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('explains every read and write shape on both targets and finds what FerretDB exposes of the missing collection', async () => {
    await seed(a.uri);
    await dropAll(b.uri);
    const { file, result } = await explainRun(runDir, { config: PlansConfigSchema.parse({}) });
    expect(file).toBe(join(runDir, 'plans.json'));
    expect(result.shapes.map((s) => s.cmd).sort()).toEqual(['aggregate', 'count', 'delete', 'distinct', 'find', 'find', 'findAndModify', 'update']);
    for (const s of result.shapes) {
      expect(s.targets.A?.ok, `${s.cmd} on A: ${JSON.stringify(s.targets.A)}`).toBe(true);
      expect(s.targets.B?.ok, `${s.cmd} on B`).toBe(true);
    }
    const find = result.shapes.find((s) => s.cmd === 'find' && s.command.includes('"a"'))!;
    const base = find.targets.A!;
    const cand = find.targets.B!;
    expect(base.ok && base.plan.engine).toBe('ferretdb-sqlite');
    expect(base.ok && planSignature(base.plan.root)).toBe('COLLSCAN');
    expect(cand.ok && planSignature(cand.plan.root)).toBe('EOF');
    expect(find.changes.B?.map((c) => c.kind)).toContain('shape-changed');
    expect(find.level.B).toBe('warn');
    // FerretDB pushes an _id equality down to SQLite on the baseline; the candidate has no table to push it to.
    const byId = result.shapes.find((s) => s.cmd === 'find' && s.command.includes('"_id"'))!;
    expect(byId.targets.A?.ok && byId.targets.A.plan.pushdown?.filter).toBe(true);
    // Writes are explained at queryPlanner, the batch by its first statement.
    const update = result.shapes.find((s) => s.cmd === 'update')!;
    expect(update).toMatchObject({ write: true, verbosity: 'queryPlanner' });
    expect(update.command).toContain('"a":5');
    expect(update.command).not.toContain('"a":6');
    expect(result.shapes.find((s) => s.cmd === 'find')!.verbosity).toBe('executionStats');
    expect(result.counts).toMatchObject({ explains: 16, failed: 0, timedOut: 0 });
    const again = await readPlansFile(runDir);
    expect(again?.shapes).toHaveLength(result.shapes.length);
  });

  it("shows the plans in the report: Markdown trees, HTML collapsible trees with the changed nodes marked, a plans array in JSON", async () => {
    await seed(a.uri);
    await dropAll(b.uri);
    await explainRun(runDir, { config: PlansConfigSchema.parse({}) });
    const out = join(work, 'report');
    const { files, doc } = await renderReport(runDir, ConfigSchema.parse({}), { formats: 'md,html,json', out });
    expect(doc.plans?.length).toBe(8);
    const find = doc.plans!.find((p) => p.cmd === 'find' && p.command.includes('"a"'))!;
    expect(find.firstChange).toBe('B');
    const md = await readFile(files.md!, 'utf8');
    expect(md).toContain('## Plans');
    expect(md).toMatch(/WARN on B: shape-changed: plan COLLSCAN → EOF/);
    expect(md).toMatch(/\* EOF \(no table\) type=nonExistentNamespace/);
    const html = await readFile(files.html!, 'utf8');
    expect(html).toContain('<h2 id="plans">Plans</h2>');
    expect(html).toMatch(/<code class="changed"[^>]*>EOF \(no table\)/);
    expect(html).toMatch(/<code class="changed"[^>]*>COLLSCAN \(SQLite SCAN\)/);
    const json = JSON.parse(await readFile(files.json!, 'utf8')) as { plans?: unknown[] };
    expect(json.plans).toHaveLength(8);
  });

  it('runs as `mongo-compat plans RUN_DIR`: plans.json on stdout, the changes on stderr; a bad run directory is one line with its code', async () => {
    await seed(a.uri);
    await dropAll(b.uri);
    const ok = await runCli(['plans', runDir, '--time-limit', '3000', '--verbosity', 'queryPlanner']);
    expect(ok.stderr).toMatch(/warn: find items \(shape \w+\) on B: shape-changed: plan COLLSCAN → EOF/);
    expect(ok.stdout.trim()).toBe(join(runDir, 'plans.json'));
    expect(ok.code).toBe(0);
    const written = await readPlansFile(runDir);
    expect(written).toMatchObject({ verbosity: 'queryPlanner', timeLimitMs: 3000 });
    const bad = await runCli(['plans', join(work, 'no-such-run')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^mongo-compat: MC_RUN_CORRUPT: .*no-such-run\/run\.json/);
    const flag = await runCli(['plans', runDir, '--verbosity', 'allPlansExecution']);
    expect(flag.code).not.toBe(0);
    expect(flag.stderr).toMatch(/--verbosity allPlansExecution/);
  });

  it('leaves the data of every target unchanged, whatever verbosity is asked for', async () => {
    await seed(a.uri);
    await seed(b.uri);
    const before = await Promise.all([snapshot(a.uri), snapshot(b.uri)]);
    expect(before[0]).toContain('"state":"pending"');
    const { result } = await explainRun(runDir, { config: PlansConfigSchema.parse({ verbosity: 'executionStats', perShape: 3 }) });
    expect(result.shapes.filter((s) => s.write).length).toBeGreaterThanOrEqual(3);
    expect(await Promise.all([snapshot(a.uri), snapshot(b.uri)])).toEqual(before);
    // Both sides alike now: nothing changed between them.
    expect(result.counts.changed).toMatchObject({ fail: 0, warn: 0 });
  });

  it('gives up on a target that never answers within the time limit, and still explains the others', async () => {
    const silent = await silentServer();
    try {
      const dir = join(work, 'run-silent');
      await rm(dir, { recursive: true, force: true });
      const { cp } = await import('node:fs/promises');
      await cp(runDir, dir, { recursive: true });
      const run = JSON.parse(await readFile(join(dir, RUN_JSON), 'utf8')) as RunJson;
      const targets = run.targets.map((t) => (t.name === 'B' ? { ...t, uri: `mongodb://127.0.0.1:${silent.port}/?directConnection=true` } : t));
      await writeFile(join(dir, RUN_JSON), JSON.stringify({ ...run, targets }));
      await seed(a.uri);
      const started = performance.now();
      const { result } = await explainRun(dir, { config: PlansConfigSchema.parse({ timeLimitMs: 300 }) });
      const elapsed = performance.now() - started;
      expect(elapsed).toBeLessThan(8_000);
      expect(result.shapes.every((s) => s.targets.A?.ok)).toBe(true);
      for (const s of result.shapes) expect(s.targets.B, s.cmd).toMatchObject({ ok: false, error: { timedOut: true } });
      expect(result.counts.timedOut).toBe(result.shapes.length);
      expect(result.shapes[0]!.changes.B?.[0]).toMatchObject({ kind: 'explain-failed', level: 'fail' });
    } finally {
      await silent.stop();
    }
  });
});
