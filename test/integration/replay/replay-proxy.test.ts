import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../../../harness/capture/proxy/index.ts';
import { parseUpstream } from '../../../harness/capture/proxy/upstream.ts';
import { openCaptureWriter } from '../../../harness/store/writer.ts';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { replay } from '../../../harness/replay/run.ts';
import { readRunOutcomes } from '../../../harness/model/run/reader.ts';
import type { OperationOutcome } from '../../../harness/model/run/outcome.ts';

const DB = 'shop';
const { Int32 } = BSON;

async function seed(uri: string): Promise<void> {
  const client = new MongoClient(uri);
  try {
    await client.db(DB).dropDatabase();
    await client.db(DB).collection<BSON.Document>('items').insertMany(Array.from({ length: 9 }, (_, i): BSON.Document => ({ _id: new Int32(i), n: new Int32(i) })));
    await client.db(DB).collection<BSON.Document>('jobs').insertMany(<BSON.Document[]>[{ _id: new Int32(1), state: 'pending', p: new Int32(3) }, { _id: new Int32(2), state: 'pending', p: new Int32(7) }]);
  } finally {
    await client.close();
  }
}

describe('a workload captured through the proxy, replayed', () => {
  let a: FerretDbInstance;
  let b: FerretDbInstance;
  let c: FerretDbInstance;
  let work: string;
  let capture: string;

  beforeAll(async () => {
    [a, b, c] = (await Promise.all(['a', 'b', 'c'].map((name) => startFerretDb({ name, replicaSet: false })))) as [FerretDbInstance, FerretDbInstance, FerretDbInstance];
    await Promise.all([seed(a.uri), seed(b.uri), seed(c.uri)]);
    work = await mkdtemp(join(tmpdir(), 'mc-replay-proxy-'));
    capture = join(work, 'app.mcap.gz');
    // The header as `mongo-compat proxy` writes it: the upstream, redacted, is the source.
    const writer = await openCaptureWriter(capture, { app: 'shop', source: { kind: 'proxy', host: parseUpstream(a.uri).display }, startedAt: new Date().toISOString(), redaction: { mode: 'none' }, replyMode: 'full' });
    const proxy = await startProxy({ upstream: a.uri, sink: writer, app: 'shop' });
    const app = new MongoClient(`mongodb://${proxy.address}/?directConnection=true`);
    try {
      const db = app.db(DB);
      // A multi-batch cursor (driver getMores), a count, a job claim.
      expect(await db.collection('items').find({ n: { $gte: 1 } }, { batchSize: 2, sort: { _id: 1 } }).toArray()).toHaveLength(8);
      expect(await db.collection('items').countDocuments({ n: { $lt: 4 } })).toBe(4);
      await db.collection('jobs').findOneAndUpdate({ state: 'pending' }, { $set: { state: 'running' } }, { sort: { p: -1 } });
    } finally {
      await app.close();
      await proxy.stop();
      await writer.close();
    }
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('gives identical outcomes on fresh targets seeded alike, writes included', async () => {
    const dir = join(work, 'run');
    const { run } = await replay({ captures: [capture], baselines: [`B=${b.uri}`], candidates: [`C=${c.uri}`], out: dir, allowWrites: true });
    expect(run.counts.differences).toBe(0);
    const all: OperationOutcome[] = [];
    for await (const o of readRunOutcomes(dir)) all.push(o);
    const find = all.find((o) => o.cmd === 'find' && o.coll === 'items')!;
    expect(find.targets.B!.status).toBe('ok');
    // The targets agree: production's reply stays in the capture; the outcome keeps its duration.
    expect(find.recorded).toEqual({ durUs: expect.any(Number) });
    expect(run.counts.folded).toBeGreaterThanOrEqual(3); // the find's getMores
    const fam = all.find((o) => o.cmd === 'findAndModify')!;
    expect(fam.targets.B!.status).toBe('ok');
    expect(fam.targets.C!.digest).toBe(fam.targets.B!.digest);
  });

  it('refuses writes against the deployment the proxy recorded', async () => {
    await expect(replay({ captures: [capture], baselines: [`A=${a.uri}`], candidates: [], out: join(work, 'refused'), allowWrites: true })).rejects.toMatchObject({
      code: 'MC_REPLAY_WRITE_TO_SOURCE',
    });
  });
});
