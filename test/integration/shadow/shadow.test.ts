import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readRunOutcomes } from '../../../harness/model/run/reader.ts';
import type { OperationOutcome } from '../../../harness/model/run/outcome.ts';
import { buildReport } from '../../../harness/report/build.ts';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import { startShadow, type RunningShadow } from '../../../harness/shadow/shadow.ts';
import { runSuite } from '../../../harness/suite/run-suite.ts';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { REPO_ROOT } from '../../helpers/cli.ts';
import { uniqueDbName } from '../../helpers/fresh-db.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(REPO_ROOT, 'test/helpers/pymongo-workload.py');
const pymongo = await run(PYTHON, ['-c', 'import pymongo']).then(
  () => true,
  () => false,
);

async function outcomes(dir: string): Promise<OperationOutcome[]> {
  const all: OperationOutcome[] = [];
  for await (const o of readRunOutcomes(dir)) all.push(o);
  return all;
}

interface LiveJson {
  operations: { waiting: number; seen: number };
  differences: { candidate: string; app: string; class: string; count: number; example: { diffs: unknown[] } }[];
  verdicts: { app: string; candidate: string; level: string }[];
}

async function statusJson(shadow: RunningShadow): Promise<LiveJson> {
  const res = await fetch(`http://${shadow.statusAddress}/status.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as LiveJson;
}

/** The mirror has taken every operation the proxy saw and written at least `n` outcomes. */
async function caughtUp(shadow: RunningShadow, n: number): Promise<boolean> {
  const s = await shadow.status();
  return s.operations.waiting === 0 && s.operations.outcomes >= n;
}

async function seed(uri: string, db: string, docs: Record<string, unknown>[]): Promise<void> {
  const c = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
  try {
    await c.db(db).collection('items').insertMany(docs);
  } finally {
    await c.close();
  }
}

describe('shadow: production mirrored live to FerretDB candidates', () => {
  let upstream: FerretDbInstance;
  let same: FerretDbInstance;
  let dir: string;
  beforeAll(async () => {
    [upstream, same] = await Promise.all([startFerretDb({ name: 'shadow-up', replicaSet: false }), startFerretDb({ name: 'shadow-same', replicaSet: false })]);
    dir = await mkdtemp(join(tmpdir(), 'mc-shadow-'));
  }, 120_000);
  afterAll(async () => {
    await Promise.all([upstream?.stop(), same?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  test.skipIf(!pymongo)('pymongo through shadow with writes mirrored to an identical candidate: zero differences, PASS', async () => {
    const out = join(dir, 'pymongo');
    const shadow = await startShadow({ upstream: upstream.uri, baselines: [], candidates: [`same=${same.uri}`], out, minIdleCpu: 0, maxMirrorCpu: 0, sample: { rate: 1, by: 'connection' }, allowWrites: true, status: { host: '127.0.0.1', port: 0 } });
    let result: { results: unknown[] };
    let stopped: Awaited<ReturnType<RunningShadow['stop']>>;
    try {
      const { stdout } = await run(PYTHON, [SCRIPT, `mongodb://${shadow.proxy.address}/?directConnection=true&appName=py-shadow`, uniqueDbName('py')], { timeout: 60_000 });
      result = JSON.parse(stdout) as { results: unknown[] };
      await waitFor(async () => (await statusJson(shadow)).operations.waiting === 0 && shadow.proxy.stats.connectionsOpen === 0, { what: 'the mirror to catch up' });
    } finally {
      stopped = await shadow.stop();
    }
    expect(result.results.length).toBeGreaterThan(5);
    expect(stopped.run.counts.differences).toBe(0);
    expect(stopped.run.shadow).toMatchObject({ production: 'baseline', dropped: { 'queue-full': 0, 'mirror-behind': 0, 'at-stop': 0 } });
    const all = await outcomes(out);
    const replayed = all.filter((o) => o.targets.same?.status === 'ok' || o.targets.same?.status === 'error');
    // Reads, writes, the cursor's getMores folded in, the duplicate-key and unknown-command errors: every one mirrored.
    expect(replayed.map((o) => o.cmd)).toEqual(expect.arrayContaining(['insert', 'find', 'aggregate', 'findAndModify', 'update', 'delete', 'createIndexes', 'noSuchCommandHere']));
    expect(all.every((o) => o.app === 'py-shadow' || o.app === undefined)).toBe(true);
    const doc = await buildReport(out, ConfigSchema.parse({}));
    const cell = doc.summary.find((s) => s.candidate === 'same');
    expect(cell?.verdict, JSON.stringify(doc.summary)).toBe('pass');
    expect(doc.summary.every((s) => s.verdict === 'pass')).toBe(true);
    expect(doc.exit.status).toBe(0);
  }, 120_000);

  test('a candidate whose data differs: the difference shows in the live JSON within seconds and in the final report', async () => {
    const db = uniqueDbName('shadow');
    const docs = Array.from({ length: 20 }, (_, i) => ({ _id: i, name: `item-${i}`, price: i * 10 }));
    const other = await startFerretDb({ name: 'shadow-other', replicaSet: false });
    try {
      await seed(upstream.uri, db, docs);
      await seed(other.uri, db, docs.map((d) => (d._id === 7 ? { ...d, price: 71 } : d)));
      const out = join(dir, 'differs');
      const shadow = await startShadow({ upstream: upstream.uri, baselines: [], candidates: [`other=${other.uri}`], out, minIdleCpu: 0, maxMirrorCpu: 0, sample: { rate: 1, by: 'connection' }, allowWrites: false, status: { host: '127.0.0.1', port: 0 } });
      const app = new MongoClient(`mongodb://${shadow.proxy.address}/?directConnection=true&appName=shop`, { serverSelectionTimeoutMS: 10_000 });
      try {
        const items = app.db(db).collection<{ _id: number }>('items');
        for (let i = 0; i < 20; i++) await items.findOne({ _id: i });
        const started = Date.now();
        const live = await waitFor(
          async () => {
            const j = await statusJson(shadow);
            return j.differences.length > 0 ? j : undefined;
          },
          { what: 'the difference in the live JSON', timeoutMs: 10_000 },
        );
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(live.differences[0]!).toMatchObject({ candidate: 'other', app: 'shop', class: 'result-differs' });
        expect(live.differences[0]!.count).toBe(1);
        expect(JSON.stringify(live.differences[0]!.example.diffs)).toContain('price');
        expect(live.verdicts).toEqual([expect.objectContaining({ app: 'shop', candidate: 'other', level: 'fail' })]);
        const page = await (await fetch(`http://${shadow.statusAddress}/`)).text();
        expect(page).toContain('http-equiv="refresh"');
        expect(page).toContain('FAIL');
      } finally {
        await app.close();
        await shadow.stop();
      }
      const doc = await buildReport(out, ConfigSchema.parse({}));
      expect(doc.summary).toEqual([expect.objectContaining({ app: 'shop', candidate: 'other', verdict: 'fail' })]);
      expect(doc.exit.status).not.toBe(0);
      // The suite includes a shadow run as an app of its own, nothing replayed.
      const config = ConfigSchema.parse({
        report: { formats: ['json'] },
        suite: { apps: { live: { run: out } }, baseline: `production=${upstream.uri}`, candidates: [`other=${other.uri}`, `absent=${other.uri}`], history: join(dir, 'history') },
      });
      const suite = await runSuite({ config, out: join(dir, 'suite') });
      expect(suite.index.cells.map((c) => [c.app, c.candidate, c.verdict])).toEqual([
        ['live', 'other', 'fail'],
        ['live', 'absent', 'error'],
      ]);
    } finally {
      await other.stop();
    }
  }, 120_000);

  test('with a clone of production as the baseline: candidates are judged against the clone, production is the recorded reply, drift told from the version', async () => {
    const db = uniqueDbName('shadow');
    const docs = Array.from({ length: 12 }, (_, i) => ({ _id: i, qty: i }));
    const cand = await startFerretDb({ name: 'shadow-cand', replicaSet: false });
    try {
      // The clone lags production on _id 3 (drift); the candidate has the clone's data but answers _id 5 differently.
      await seed(upstream.uri, db, docs);
      await seed(same.uri, db, docs.map((d) => (d._id === 3 ? { ...d, qty: 33 } : d)));
      await seed(cand.uri, db, docs.map((d) => (d._id === 3 ? { ...d, qty: 33 } : d._id === 5 ? { ...d, qty: 55 } : d)));
      const out = join(dir, 'clone');
      const shadow = await startShadow({ upstream: upstream.uri, baselines: [`clone=${same.uri}`], candidates: [`cand=${cand.uri}`], out, minIdleCpu: 0, maxMirrorCpu: 0, sample: { rate: 1, by: 'connection' }, allowWrites: false });
      const app = new MongoClient(`mongodb://${shadow.proxy.address}/?directConnection=true&appName=inv`, { serverSelectionTimeoutMS: 10_000 });
      try {
        for (let i = 0; i < 12; i++) await app.db(db).collection<{ _id: number }>('items').findOne({ _id: i });
        await waitFor(() => caughtUp(shadow, 12), { what: 'the mirror to take every find' });
      } finally {
        await app.close();
        await shadow.stop();
      }
      const finds = (await outcomes(out)).filter((o) => o.cmd === 'find');
      expect(finds).toHaveLength(12);
      expect(finds.every((o) => o.targets.production === undefined)).toBe(true);
      // Production's reply is kept as the recorded reply where the clone and the candidate disagree (what tells drift from the version).
      const differing = finds.filter((o) => o.targets.clone!.digest !== o.targets.cand!.digest);
      expect(differing.length).toBeGreaterThan(0);
      expect(differing.every((o) => o.recorded?.reply !== undefined)).toBe(true);
      const doc = await buildReport(out, ConfigSchema.parse({}));
      // Only _id 5 is the candidate's own difference; _id 3 differs from production on both clones alike.
      expect(doc.summary).toEqual([expect.objectContaining({ app: 'inv', candidate: 'cand', verdict: 'fail' })]);
      const cell = doc.summary[0]!;
      expect(cell.groups).toBe(1);
      expect(cell.causes).toEqual({ version: 1 });
    } finally {
      await cand.stop();
    }
  }, 120_000);

  test('two clones of production as baselines: what differs between them is noise, not the candidate\'s', async () => {
    const db = uniqueDbName('shadow');
    const docs = Array.from({ length: 8 }, (_, i) => ({ _id: i, at: `t${i}` }));
    const [a2, cand] = await Promise.all([startFerretDb({ name: 'shadow-a2', replicaSet: false }), startFerretDb({ name: 'shadow-cand2', replicaSet: false })]);
    try {
      // The field `at` differs between the two clones of one version on every document (as a
      // per-server timestamp would): the candidate differs there too, and nowhere else.
      await seed(upstream.uri, db, docs);
      await seed(same.uri, db, docs);
      await seed(a2.uri, db, docs.map((d) => ({ ...d, at: `other-${d._id}` })));
      await seed(cand.uri, db, docs.map((d) => ({ ...d, at: `cand-${d._id}` })));
      const out = join(dir, 'noise');
      const shadow = await startShadow({ upstream: upstream.uri, baselines: [`a=${same.uri}`, `a2=${a2.uri}`], candidates: [`cand=${cand.uri}`], out, minIdleCpu: 0, maxMirrorCpu: 0, sample: { rate: 1, by: 'connection' }, allowWrites: false });
      const app = new MongoClient(`mongodb://${shadow.proxy.address}/?directConnection=true&appName=noisy`, { serverSelectionTimeoutMS: 10_000 });
      try {
        for (let i = 0; i < 8; i++) await app.db(db).collection<{ _id: number }>('items').findOne({ _id: i });
        await waitFor(() => caughtUp(shadow, 8), { what: 'the mirror to take every find' });
      } finally {
        await app.close();
        await shadow.stop();
      }
      const doc = await buildReport(out, ConfigSchema.parse({}));
      expect(doc.summary).toEqual([expect.objectContaining({ app: 'noisy', candidate: 'cand', verdict: 'pass' })]);
      expect(doc.summary[0]!.counts.equivalent).toBe(8);
    } finally {
      await Promise.all([a2.stop(), cand.stop()]);
    }
  }, 120_000);

  test('a candidate killed mid-run: the workload completes without an error, its mirrored operations count as unavailable', async () => {
    const db = uniqueDbName('shadow');
    const docs = Array.from({ length: 10 }, (_, i) => ({ _id: i, v: i }));
    const doomed = await startFerretDb({ name: 'shadow-doomed', replicaSet: false });
    await seed(upstream.uri, db, docs);
    await seed(doomed.uri, db, docs);
    const out = join(dir, 'killed');
    const shadow = await startShadow({ upstream: upstream.uri, baselines: [], candidates: [`doomed=${doomed.uri}`], out, minIdleCpu: 0, maxMirrorCpu: 0, sample: { rate: 1, by: 'connection' }, allowWrites: false, retryDownMs: 60_000, opTimeoutMs: 2_000 });
    const app = new MongoClient(`mongodb://${shadow.proxy.address}/?directConnection=true&appName=steady`, { serverSelectionTimeoutMS: 10_000 });
    let read = 0;
    try {
      const items = app.db(db).collection<{ _id: number }>('items');
      for (let i = 0; i < 40; i++) {
        if (i === 20) {
          await waitFor(() => caughtUp(shadow, 20), { what: 'the mirror to catch up before the kill' });
          await doomed.stop();
        }
        expect(await items.findOne({ _id: i % 10 })).toEqual({ _id: i % 10, v: i % 10 });
        read++;
      }
      await waitFor(async () => (await caughtUp(shadow, 40)) && (await shadow.status()).targets[0]!.dropped.unavailable >= 20, { what: 'the mirror to mark the dead candidate', timeoutMs: 20_000 });
    } finally {
      await app.close();
      await shadow.stop();
      await doomed.stop();
    }
    expect(read).toBe(40);
    const finds = (await outcomes(out)).filter((o) => o.cmd === 'find');
    expect(finds).toHaveLength(40);
    expect(finds.slice(0, 20).every((o) => o.targets.doomed?.status === 'ok')).toBe(true);
    expect(finds.slice(20).every((o) => o.targets.doomed?.status === 'unavailable')).toBe(true);
    expect(finds.every((o) => o.targets.production?.status === 'ok')).toBe(true);
  }, 120_000);

  test('writes are never mirrored without --allow-writes', async () => {
    const db = uniqueDbName('shadow');
    const out = join(dir, 'no-writes');
    const shadow = await startShadow({ upstream: upstream.uri, baselines: [], candidates: [`same=${same.uri}`], out, minIdleCpu: 0, maxMirrorCpu: 0, sample: { rate: 1, by: 'connection' }, allowWrites: false });
    const app = new MongoClient(`mongodb://${shadow.proxy.address}/?directConnection=true&appName=writer`, { serverSelectionTimeoutMS: 10_000 });
    try {
      const items = app.db(db).collection<{ _id: number }>('items');
      await items.insertMany([{ _id: 1 }, { _id: 2 }]);
      await items.updateOne({ _id: 1 }, { $set: { x: 1 } });
      await items.deleteOne({ _id: 2 });
      expect(await items.countDocuments()).toBe(1);
      await waitFor(() => caughtUp(shadow, 4), { what: 'the mirror to take every operation' });
    } finally {
      await app.close();
      await shadow.stop();
    }
    const all = await outcomes(out);
    const writes = all.filter((o) => ['insert', 'update', 'delete'].includes(o.cmd));
    expect(writes).toHaveLength(3);
    for (const w of writes) expect(w.targets.same).toEqual({ status: 'skipped', reason: 'writes-not-allowed' });
    const check = new MongoClient(same.uri);
    try {
      expect(await check.db(db).collection('items').countDocuments()).toBe(0);
    } finally {
      await check.close();
    }
  }, 120_000);
});
