import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { replay, type ReplayProgress } from '../../../harness/replay/run.ts';
import { readRunOutcomes } from '../../../harness/model/run/reader.ts';
import type { OperationOutcome } from '../../../harness/model/run/outcome.ts';
import { TIMEOUT_CODE_NAME } from '../../../harness/replay/target.ts';
import { recordWorkload, type Step } from './record-workload.ts';

const DB = 'faults';
const { Int32 } = BSON;

/**
 * A hung peer: relays bytes to a real server, except that a request naming
 * STALL is swallowed, so that operation never gets an answer (the connection stays
 * open and silent). Everything else is answered by the real server behind it.
 */
const STALL = 'stall_forever';
function stallingRelay(upstreamPort: number): Promise<{ server: Server; port: number }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: upstreamPort });
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      if (!chunk.includes(STALL)) upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

async function outcomes(dir: string): Promise<OperationOutcome[]> {
  const out: OperationOutcome[] = [];
  for await (const o of readRunOutcomes(dir)) out.push(o);
  return out.sort((x, y) => x.seq - y.seq);
}

describe('replay faults', () => {
  let a: FerretDbInstance;
  let b: FerretDbInstance;
  let work: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startFerretDb({ name: 'a', replicaSet: false }), startFerretDb({ name: 'b', replicaSet: false })]);
    work = await mkdtemp(join(tmpdir(), 'mc-replay-faults-'));
    for (const uri of [a.uri, b.uri]) {
      const c = new MongoClient(uri);
      await c.db(DB).collection<BSON.Document>('items').insertMany(Array.from({ length: 5 }, (_, i): BSON.Document => ({ _id: new Int32(i), v: new Int32(i) })));
      await c.close();
    }
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it.each(['wire', 'driver'] as const)('marks a target that went down mid-run unavailable after retries, and finishes the run (%s transport)', async (transport) => {
    const victim = await startFerretDb({ name: 'victim', replicaSet: false });
    try {
      const steps: Step[] = Array.from({ length: 30 }, (_, i) => ({ conn: `c${i % 3}`, db: DB, command: { find: 'items', filter: { _id: new Int32(i % 5) } } }));
      const capture = join(work, 'down.mcap.gz');
      // 100 ms between operations: the run lasts ~3 s at speed 1.
      await recordWorkload(a.uri, capture, steps, { gapUs: 100_000, sourceHost: 'prod:27017' });
      const dir = join(work, `run-down-${transport}`);
      // SIGKILL: a crash, not a graceful shutdown that lets open connections finish. It
      // comes once five operations are done on both targets, with ~25 still to go.
      let killed = false;
      const killOnceUnderway = (p: ReplayProgress): void => {
        if (killed || p.done < 5) return;
        killed = true;
        process.kill(victim.pid, 'SIGKILL');
      };
      const { run } = await replay({
        captures: [capture],
        baselines: [`A=${a.uri}`],
        candidates: [`V=${victim.uri}`],
        out: dir,
        timing: 'recorded',
        speed: 1,
        transport,
        onProgress: killOnceUnderway,
        progressIntervalMs: 10,
      });
      expect(killed).toBe(true);
      expect(run.status).toBe('complete');
      const v = run.targets.find((t) => t.name === 'V')!;
      expect(v.transport).toBe(transport);
      expect(v.down).toMatch(/target down/);
      expect(run.notes.some((n) => n.includes('target V'))).toBe(true);
      const all = await outcomes(dir);
      expect(all).toHaveLength(30);
      expect(all.every((o) => o.targets.A!.status === 'ok')).toBe(true);
      expect(all[0]!.targets.V!.status).toBe('ok');
      expect(all.at(-1)!.targets.V!.status).toBe('unavailable');
      expect(run.counts.perTarget.V!.unavailable).toBeGreaterThan(10);
    } finally {
      await victim.stop();
    }
  });

  it.each(['wire', 'driver'] as const)('ends a stuck operation at --op-timeout and carries on (%s transport)', async (transport) => {
    const relay = await stallingRelay(b.port);
    try {
      const steps: Step[] = [
        { conn: 'c1', db: DB, command: { find: 'items', filter: {} } },
        { conn: 'c1', db: DB, command: { find: STALL, filter: {} } },
        { conn: 'c1', db: DB, command: { count: 'items' } },
      ];
      const capture = join(work, 'stall.mcap.gz');
      await recordWorkload(a.uri, capture, steps, { sourceHost: 'prod:27017' });
      const dir = join(work, `run-stall-${transport}`);
      const started = Date.now();
      const { run } = await replay({
        captures: [capture],
        baselines: [`A=${a.uri}`],
        candidates: [`H=mongodb://127.0.0.1:${relay.port}/?directConnection=true`],
        out: dir,
        opTimeoutMs: 700,
        transport,
      });
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(run.status).toBe('complete');
      const all = await outcomes(dir);
      expect(all.map((o) => o.targets.H!.status)).toEqual(['ok', 'error', 'ok']);
      expect(all[1]!.targets.H!.error?.codeName).toBe(TIMEOUT_CODE_NAME);
      expect(all[1]!.targets.A!.status).toBe('ok');
      expect(run.targets.find((t) => t.name === 'H')!.transport).toBe(transport);
    } finally {
      await new Promise((r) => relay.server.close(r));
    }
  });

  it('skips and counts a getMore whose cursor was opened before the capture', async () => {
    const steps: Step[] = [
      { conn: 'c1', db: DB, command: { getMore: BSON.Long.fromString('777'), collection: 'items' }, recordOnly: true },
      { conn: 'c1', db: DB, command: { killCursors: 'items', cursors: [BSON.Long.fromString('777')] }, recordOnly: true },
      { conn: 'c1', db: DB, command: { find: 'items', filter: {}, batchSize: new Int32(2) }, follow: true },
    ];
    const capture = join(work, 'orphan.mcap.gz');
    await recordWorkload(a.uri, capture, steps, { sourceHost: 'prod:27017' });
    const dir = join(work, 'run-orphan');
    const { run } = await replay({ captures: [capture], baselines: [`A=${a.uri}`], candidates: [`B=${b.uri}`], out: dir });
    expect(run.counts.skipped['orphan-getmore']).toBe(1);
    expect(run.counts.skipped['orphan-killcursors']).toBe(1);
    expect(run.counts.folded).toBe(2); // the find's two getMores
    const find = (await outcomes(dir)).find((o) => o.cmd === 'find')!;
    expect(find.targets.B!.digest).toBe(find.targets.A!.digest);
    expect(run.counts.differences).toBe(0);
  });

  it('leaves a valid partial run when stopped', async () => {
    const steps: Step[] = Array.from({ length: 40 }, (_, i) => ({ conn: `c${i % 2}`, db: DB, command: { count: 'items', query: { v: new Int32(i) } } }));
    const capture = join(work, 'stop.mcap.gz');
    await recordWorkload(a.uri, capture, steps, { gapUs: 100_000, sourceHost: 'prod:27017' });
    const dir = join(work, 'run-stop');
    // Stopped once five operations are done, with ~35 still to go.
    const ac = new AbortController();
    const stopOnceUnderway = (p: ReplayProgress): void => {
      if (p.done >= 5) ac.abort();
    };
    const { run } = await replay({ captures: [capture], baselines: [`A=${a.uri}`], candidates: [], out: dir, timing: 'recorded', signal: ac.signal, onProgress: stopOnceUnderway, progressIntervalMs: 10 });
    expect(run.status).toBe('interrupted');
    const all = await outcomes(dir);
    expect(all.length).toBeGreaterThan(0);
    expect(all.length).toBeLessThan(40);
    expect(run.counts.outcomes).toBe(all.length);
  });
});
