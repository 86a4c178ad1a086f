import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { replay } from '../../../harness/replay/run.ts';
import { CANARY_DB } from '../../../harness/replay/identity.ts';
import { startTap, type Tap } from '../../helpers/tcp-tap.ts';
import { recordWorkload } from './record-workload.ts';
import { openCaptureWriter } from '../../../harness/store/writer.ts';

const DB = 'shop';
const { Int32 } = BSON;

async function seed(uri: string): Promise<void> {
  const client = new MongoClient(uri);
  try {
    await client.db(DB).dropDatabase();
    await client.db(DB).collection<BSON.Document>('items').insertMany(Array.from({ length: 5 }, (_, i): BSON.Document => ({ _id: new Int32(i), n: new Int32(i) })));
  } finally {
    await client.close();
  }
}

/** Every document of the canary database on a server: none may stay behind after a check. */
async function canaries(uri: string): Promise<number> {
  const client = new MongoClient(uri);
  try {
    const db = client.db(CANARY_DB);
    let n = 0;
    for (const c of await db.listCollections({}, { nameOnly: true }).toArray()) n += await db.collection(c.name).countDocuments();
    const dbs = await client.db('admin').admin().listDatabases({ nameOnly: true });
    return n + (dbs.databases.some((d) => d.name === CANARY_DB) ? 1 : 0);
  } finally {
    await client.close();
  }
}

async function items(uri: string): Promise<number> {
  const client = new MongoClient(uri);
  try {
    return await client.db(DB).collection('items').countDocuments();
  } finally {
    await client.close();
  }
}

describe('the write guard proves servers distinct, not addresses', () => {
  let a: FerretDbInstance;
  let b: FerretDbInstance;
  let tap: Tap;
  let work: string;
  let capture: string;

  beforeAll(async () => {
    [a, b] = (await Promise.all(['a', 'b'].map((name) => startFerretDb({ name, replicaSet: false })))) as [FerretDbInstance, FerretDbInstance];
    await Promise.all([seed(a.uri), seed(b.uri)]);
    const port = Number(new URL(a.uri.replace('mongodb://', 'http://')).port);
    // A plain TCP forwarder in front of the source: what a load balancer, a DNS alias or a tunnel would be.
    tap = await startTap('127.0.0.1', port);
    work = await mkdtemp(join(tmpdir(), 'mc-identity-'));
    capture = join(work, 'app.mcap.gz');
    // The source is A, by its own address; the capture inserts a document.
    await recordWorkload(a.uri, capture, [
      { conn: 'c1', db: DB, command: { find: 'items', filter: {} } },
      { conn: 'c1', db: DB, command: { insert: 'items', documents: [{ _id: new Int32(100), n: new Int32(100) }] } },
    ]);
    // The recording ran on A: take the insert back so a replay there would show.
    const client = new MongoClient(a.uri);
    await client.db(DB).collection('items').deleteOne({ _id: new Int32(100) });
    await client.close();
  });

  afterAll(async () => {
    await tap?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('refuses writes through a TCP forwarder to the capture source, naming both, and leaves no canary', async () => {
    const forwarded = `mongodb://${tap.address}/?directConnection=true`;
    const err = await replay({ captures: [capture], baselines: [`B=${b.uri}`], candidates: [`F=${forwarded}`], out: join(work, 'run-fwd'), allowWrites: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MC_REPLAY_WRITE_TO_SOURCE' });
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain("the capture's source (mongodb://127.0.0.1:");
    expect(message).toContain(`target F (mongodb://${tap.address}/`);
    expect(message).toMatch(/a canary written through F was read back through source/);
    expect(await items(a.uri)).toBe(5);
    expect(await canaries(a.uri)).toBe(0);
    expect(await canaries(b.uri)).toBe(0);
  });

  it('refuses one server as baseline and candidate under two spellings of its URI', async () => {
    const port = new URL(b.uri.replace('mongodb://', 'http://')).port;
    const err = await replay({
      captures: [capture],
      baselines: [`B1=mongodb://127.0.0.1:${port}/`],
      candidates: [`B2=mongodb://localhost:${port}/?directConnection=true&appName=other`],
      out: join(work, 'run-same'),
      allowWrites: true,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MC_REPLAY_SAME_SERVER' });
    expect((err as Error).message).toMatch(/^refusing --allow-writes: target B1 \(.*\) and target B2 \(.*\) are one server: a canary written through B1 was read back through B2$/);
    expect(await items(b.uri)).toBe(5);
    expect(await canaries(b.uri)).toBe(0);
  });

  it('without writes, one server twice is a warning in the run, with what was checked', async () => {
    const port = new URL(b.uri.replace('mongodb://', 'http://')).port;
    const dir = join(work, 'run-reads');
    const { run } = await replay({ captures: [capture], baselines: [`B1=mongodb://127.0.0.1:${port}/`], candidates: [`B2=mongodb://localhost:${port}/`], out: dir });
    expect(run.status).toBe('complete');
    expect(run.notes.some((n) => /^warning: target B1 .* and target B2 .* are one server: same server process \(serverStatus host .*, pid \d+\)/.test(n))).toBe(true);
    const json = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as { identityCheck: { canary: boolean; matches: { a: string; b: string }[]; endpoints: { name: string; identity?: { pid?: number } }[] } };
    expect(json.identityCheck.canary).toBe(false);
    expect(json.identityCheck.matches.map((m) => [m.a, m.b])).toEqual([['B1', 'B2']]);
    expect(json.identityCheck.endpoints.map((e) => typeof e.identity?.pid)).toEqual(['number', 'number']);
    expect(await canaries(b.uri)).toBe(0);
  });

  it('lets distinct servers take writes, records every check, and removes its canaries', async () => {
    await seed(b.uri);
    const c = await startFerretDb({ name: 'c', replicaSet: false });
    try {
      await seed(c.uri);
      const dir = join(work, 'run-ok');
      const { run } = await replay({ captures: [capture], baselines: [`B=${b.uri}`], candidates: [`C=${c.uri}`], out: dir, allowWrites: true });
      expect(run.status).toBe('complete');
      expect(await items(b.uri)).toBe(6);
      const json = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as { identityCheck: { canary: boolean; pairs: number; matches: unknown[]; endpoints: { name: string; role: string; canaryNote?: string; unchecked?: string }[] } };
      expect(json.identityCheck.canary).toBe(true);
      expect(json.identityCheck.matches).toEqual([]);
      // B, C and the reachable source A: three pairs.
      expect(json.identityCheck.pairs).toBe(3);
      expect(json.identityCheck.endpoints.map((e) => [e.name, e.role, e.canaryNote ?? e.unchecked])).toEqual([
        ['B', 'baseline', 'written'],
        ['C', 'candidate', 'written'],
        ['source', 'source', undefined],
      ]);
      expect(await canaries(a.uri)).toBe(0);
      expect(await canaries(b.uri)).toBe(0);
      expect(await canaries(c.uri)).toBe(0);
    } finally {
      await c.stop();
    }
  });

  it('does not wait for a source that refuses connections: it is recorded unchecked at once, and the targets are still proved apart', async () => {
    // A port nothing listens on any more: production is not running where the capture is replayed.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dead = join(work, 'dead-source.jsonl.gz');
    const w = await openCaptureWriter(dead, { app: 'shop', source: { kind: 'proxy', host: `127.0.0.1:${deadPort}` }, startedAt: new Date().toISOString(), redaction: { mode: 'none' }, replyMode: 'full' });
    w.write({ seq: 0, t: Date.now() * 1000, dur: 10, conn: 'p1:1', db: DB, coll: 'items', cmd: 'find', op: 'OP_MSG', command: { find: 'items', filter: {}, $db: DB } });
    await w.close();
    const logged: string[] = [];
    const dir = join(work, 'run-dead-source');
    const { run } = await replay({ captures: [dead], baselines: [`B=${b.uri}`], candidates: [`A=${a.uri}`], out: dir, allowWrites: true, log: (l) => logged.push(l) });
    expect(run.status).toBe('complete');
    const json = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as { identityCheck: { endpoints: { name: string; canaryNote?: string; unchecked?: string }[] } };
    const source = json.identityCheck.endpoints.find((e) => e.name === 'source')!;
    // The probe's words, not the driver's after its server-selection timeout.
    expect(source.unchecked).toBe(`no host accepts a connection (connect ECONNREFUSED 127.0.0.1:${deadPort})`);
    expect(json.identityCheck.endpoints.filter((e) => e.name !== 'source').map((e) => e.canaryNote)).toEqual(['written', 'written']);
    expect(logged.some((l) => l.includes("the capture's source") && l.includes('ECONNREFUSED'))).toBe(true);
  });
});
