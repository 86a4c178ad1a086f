import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { replay } from '../../../harness/replay/run.ts';
import { readRun, readRunOutcomes } from '../../../harness/model/run/reader.ts';
import type { OperationOutcome } from '../../../harness/model/run/outcome.ts';
import { recordWorkload, type Step } from './record-workload.ts';

const DB = 'shop';
const { Int32 } = BSON;

function users(): BSON.Document[] {
  return Array.from({ length: 12 }, (_, i) => ({ _id: new Int32(i), name: `u${i}`, age: new Int32(20 + i), score: new BSON.Double(i / 2) }));
}

async function seed(uri: string, change?: (docs: BSON.Document[]) => void): Promise<void> {
  const client = new MongoClient(uri);
  try {
    const db = client.db(DB);
    await db.dropDatabase();
    const docs = users();
    change?.(docs);
    await db.collection<BSON.Document>('users').insertMany(docs);
    await db.collection<BSON.Document>('jobs').insertMany(<BSON.Document[]>[
      { _id: new Int32(1), state: 'pending', priority: new Int32(5) },
      { _id: new Int32(2), state: 'pending', priority: new Int32(9) },
      { _id: new Int32(3), state: 'done', priority: new Int32(1) },
    ]);
  } finally {
    await client.close();
  }
}

/** A workload like an application's: multi-batch cursors, counts, a job claim, an orphan getMore. */
const STEPS: Step[] = [
  { conn: 'p1:1', db: DB, command: { find: 'users', filter: { age: { $gte: new Int32(21) } }, sort: { _id: new Int32(1) }, batchSize: new Int32(3) }, follow: true },
  { conn: 'p1:2', db: DB, command: { count: 'users', query: { age: { $lt: new Int32(25) } } } },
  { conn: 'p1:2', db: DB, command: { aggregate: 'users', pipeline: [{ $match: { age: { $gte: new Int32(20) } } }, { $sort: { _id: new Int32(1) } }, { $project: { name: new Int32(1) } }], cursor: { batchSize: new Int32(4) } }, follow: true },
  { conn: 'p1:2', db: DB, command: { find: 'users', filter: { _id: new Int32(7) } } },
  { conn: 'p1:3', db: DB, command: { findAndModify: 'jobs', query: { state: 'pending' }, sort: { priority: new Int32(-1) }, update: { $set: { state: 'running' } }, new: true } },
  { conn: 'p1:3', db: DB, command: { find: 'jobs', filter: {}, sort: { _id: new Int32(1) } } },
  { conn: 'p1:4', db: DB, command: { getMore: BSON.Long.fromString('424242'), collection: 'users' }, recordOnly: true },
  // A monitor's heartbeat: a connection that carries nothing else (not replayed, as a handshake).
  { conn: 'p1:5', db: DB, command: { hello: 1 } },
];

describe('replay end to end against FerretDB', () => {
  let a: FerretDbInstance;
  let b: FerretDbInstance;
  let work: string;
  let capture: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startFerretDb({ name: 'a', replicaSet: false }), startFerretDb({ name: 'b', replicaSet: false })]);
    work = await mkdtemp(join(tmpdir(), 'mc-replay-e2e-'));
    capture = join(work, 'capture.mcap.gz');
    await seed(a.uri);
    // The source host is a production address, so fresh targets are not the source.
    await recordWorkload(a.uri, capture, STEPS, { sourceHost: 'prod-db-1.example:27017' });
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function outcomes(dir: string): Promise<OperationOutcome[]> {
    const out: OperationOutcome[] = [];
    for await (const o of readRunOutcomes(dir)) out.push(o);
    return out.sort((x, y) => x.seq - y.seq);
  }

  it('yields identical outcomes on targets seeded alike, including multi-batch cursors and findAndModify', async () => {
    await Promise.all([seed(a.uri), seed(b.uri)]);
    const dir = join(work, 'run-same');
    const { run } = await replay({ captures: [capture], baselines: [`A=${a.uri}`], candidates: [`B=${b.uri}`], out: dir, allowWrites: true, concurrency: 4 });
    expect(run.status).toBe('complete');
    expect(run.counts.differences).toBe(0);
    expect(run.counts.skipped['orphan-getmore']).toBe(1);
    expect(run.counts.skipped.handshake).toBe(1);
    expect(run.preflight?.alike).toBe(true);
    const all = await outcomes(dir);
    const replayed = all.filter((o) => o.targets.A!.status !== 'skipped');
    // find+getMores, count, aggregate+getMores, find by id, findAndModify, find jobs.
    expect(replayed.map((o) => o.cmd)).toEqual(['find', 'count', 'aggregate', 'find', 'findAndModify', 'find']);
    for (const o of replayed) {
      expect(o.targets.A!.status, o.cmd).toBe('ok');
      expect(o.targets.B!.digest).toBe(o.targets.A!.digest);
    }
    const stored = await readRun(dir);
    expect(stored.histograms.some((h) => h.target === 'B' && h.cmd === 'getMore')).toBe(true);
    expect(stored.run.targets.map((t) => t.serverVersion)).toEqual([a.serverVersion, b.serverVersion]);
  });

  it('marks exactly the operations that read a changed document as different', async () => {
    await seed(a.uri);
    // User 7 is read by the first find (age ≥ 21), the aggregation and the lookup by _id; not by the count (age < 25).
    await seed(b.uri, (docs) => (docs[7]!.name = 'changed'));
    const dir = join(work, 'run-diff');
    const { run } = await replay({ captures: [capture], baselines: [`A=${a.uri}`], candidates: [`B=${b.uri}`], out: dir, concurrency: 2 });
    expect(run.preflight?.alike).toBe(false);
    const all = await outcomes(dir);
    const differing = all.filter((o) => o.targets.A!.digest !== undefined && o.targets.A!.digest !== o.targets.B!.digest);
    expect(differing.map((o) => `${o.cmd}:${o.seq}`)).toEqual(
      all.filter((o) => ['find', 'aggregate'].includes(o.cmd) && o.coll === 'users').map((o) => `${o.cmd}:${o.seq}`),
    );
    expect(run.counts.differences).toBe(3);
    // Full replies are kept where outcomes differ: the whole cursor result, every batch.
    const firstFind = differing[0]!;
    expect(firstFind.targets.B!.docs).toHaveLength(11);
    expect(firstFind.recorded?.docs).toHaveLength(11);
    expect((firstFind.targets.B!.docs![6] as { name: string }).name).toBe('changed');
    // Writes are skipped without --allow-writes.
    expect(run.counts.skipped['writes-not-allowed']).toBe(1);
  });

  it('gets the same outcomes through its own wire transport as through the driver, errors included', async () => {
    await seed(a.uri);
    const steps: Step[] = [
      ...STEPS.filter((s) => s.command.findAndModify === undefined),
      { conn: 'p1:5', db: DB, command: { find: 'users', filter: { $bogus: new Int32(1) } } },
      { conn: 'p1:5', db: DB, command: { aggregate: 'users', pipeline: [{ $group: { _id: null, total: { $sum: '$score' }, n: { $sum: new Int32(1) } } }], cursor: {} } },
    ];
    const mixed = join(work, 'transports.mcap.gz');
    await recordWorkload(a.uri, mixed, steps, { sourceHost: 'prod-db-1.example:27017' });
    const runs = new Map<string, OperationOutcome[]>();
    for (const transport of ['wire', 'driver'] as const) {
      const dir = join(work, `run-${transport}`);
      const { run } = await replay({ captures: [mixed], baselines: [`A=${a.uri}`], candidates: [], out: dir, concurrency: 3, transport });
      expect(run.targets[0]!.transport).toBe(transport);
      runs.set(transport, await outcomes(dir));
    }
    const wire = runs.get('wire')!;
    const driver = runs.get('driver')!;
    expect(wire.map((o) => o.seq)).toEqual(driver.map((o) => o.seq));
    const bad = wire.find((o) => o.cmd === 'find' && o.targets.A!.status === 'error');
    expect(bad?.targets.A!.error?.code).toBeTypeOf('number');
    for (const [i, w] of wire.entries()) {
      const d = driver[i]!.targets.A!;
      expect(w.targets.A!.status, `${w.cmd}:${w.seq}`).toBe(d.status);
      expect(w.targets.A!.digest, `${w.cmd}:${w.seq}`).toBe(d.digest);
      expect(w.targets.A!.error, `${w.cmd}:${w.seq}`).toEqual(d.error);
    }
  });

  it('refuses to replay writes against the capture source', async () => {
    const own = join(work, 'own.mcap.gz');
    await recordWorkload(a.uri, own, STEPS.slice(0, 2));
    await expect(
      replay({ captures: [own], baselines: [`A=${a.uri}`], candidates: [`B=${b.uri}`], out: join(work, 'run-src'), allowWrites: true }),
    ).rejects.toMatchObject({ code: 'MC_REPLAY_WRITE_TO_SOURCE' });
    // Reads can always be replayed, even against the source.
    const { run } = await replay({ captures: [own], baselines: [`A=${a.uri}`], candidates: [], out: join(work, 'run-src-read') });
    expect(run.status).toBe('complete');
  });
});

describe('replay options against FerretDB', () => {
  let a: FerretDbInstance;
  let rs: FerretDbInstance;
  let work: string;

  beforeAll(async () => {
    [a, rs] = await Promise.all([startFerretDb({ name: 'a', replicaSet: false }), startFerretDb({ name: 'rs', replicaSet: true })]);
    work = await mkdtemp(join(tmpdir(), 'mc-replay-opts-'));
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), rs?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('renames databases, keeps readPreference only for a replica set, and runs a warm-up pass unmeasured', async () => {
    await seed(a.uri);
    const capture = join(work, 'opts.mcap.gz');
    await recordWorkload(a.uri, capture, [
      { conn: 'c1', db: DB, command: { find: 'users', filter: { _id: new Int32(3) }, $readPreference: { mode: 'secondaryPreferred' } } },
      { conn: 'c1', db: DB, command: { count: 'users' } },
    ]);
    // The clones hold the data under another database name.
    const client = new MongoClient(a.uri);
    await client.db(DB).dropDatabase();
    await client.close();
    await Promise.all([a.uri, rs.uri].map((u) => seedAs(u, 'clone')));
    const dir = join(work, 'run-opts');
    const { run } = await replay({
      captures: [capture],
      baselines: [`A=${a.uri}`],
      candidates: [`R=${rs.uri}`],
      out: dir,
      mapDb: { shop: 'clone' },
      warmupPass: true,
    });
    expect(run.targets.find((t) => t.name === 'R')?.replicaSet).toBe('rs0');
    expect(run.notes.some((n) => n.startsWith('target A: readPreference secondaryPreferred dropped'))).toBe(true);
    expect(run.notes.some((n) => n.startsWith('target R:'))).toBe(false);
    const all: OperationOutcome[] = [];
    for await (const o of readRunOutcomes(dir)) all.push(o);
    // Measured once each, although the warm-up pass ran them too.
    expect(all).toHaveLength(2);
    expect(run.counts.differences).toBe(0);
    const find = all.find((o) => o.cmd === 'find')!;
    expect(find.targets.A!.status).toBe('ok');
    const stored = await readRun(dir);
    expect(stored.histograms.filter((h) => h.target === 'A').reduce((n, h) => n + h.hist.totalCount, 0)).toBe(2);
  });
});

async function seedAs(uri: string, dbName: string): Promise<void> {
  const client = new MongoClient(uri);
  try {
    await client.db(dbName).dropDatabase();
    await client.db(dbName).collection<BSON.Document>('users').insertMany(users());
  } finally {
    await client.close();
  }
}
