import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startProxy, type RunningProxy } from '../../../harness/capture/proxy/index.ts';
import type { CaptureFooter } from '../../../harness/store/footer.ts';
import { readCapture } from '../../../harness/store/reader.ts';
import type { OperationRecord, RecordSink } from '../../../harness/model/record.ts';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { buildOpMsg } from '../../../harness/wire/index.ts';
import { uniqueDbName } from '../../helpers/fresh-db.ts';
import { messageBytesArb } from '../../helpers/wire-arbitraries.ts';
import { MemorySink } from '../../helpers/memory-sink.ts';
import { nodeWorkload } from '../../helpers/node-workload.ts';
import { startTap } from '../../helpers/tcp-tap.ts';
import { waitFor } from '../../helpers/wait-for.ts';

async function pingThrough(proxy: RunningProxy): Promise<void> {
  const client = new MongoClient(`mongodb://${proxy.address}/?directConnection=true`, { serverSelectionTimeoutMS: 5000 });
  try {
    expect((await client.db('admin').command({ ping: 1 })).ok).toBe(1);
  } finally {
    await client.close();
  }
}

function rawSocket(proxy: RunningProxy): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(proxy.port, proxy.host, () => resolve(s));
    s.on('error', reject);
  });
}

/** A message as long as `length` (16 = the header alone) with the given opcode, the rest zeros. */
function headerOnly(opCode: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  b.writeInt32LE(length, 0);
  b.writeInt32LE(1, 4);
  b.writeInt32LE(opCode, 12);
  return b;
}

function closed(s: net.Socket): Promise<void> {
  return new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
}

describe('proxy faults', () => {
  let server: FerretDbInstance;
  beforeAll(async () => {
    server = await startFerretDb({ name: 'faults', replicaSet: false });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('a client that leaves mid-request and a client that sends garbage are closed with a logged reason; others keep working', async () => {
    const sink = new MemorySink();
    const lines: string[] = [];
    const proxy = await startProxy({ upstream: server.uri, sink, log: (l) => lines.push(l) });
    try {
      const ping = Buffer.concat(buildOpMsg({ requestId: 1, sections: [{ kind: 0, body: Buffer.from(BSON.serialize({ ping: 1, $db: 'admin' })) }] }));
      const half = await rawSocket(proxy);
      half.write(ping.subarray(0, 10));
      // Leave only once the proxy holds the partial message: then it is cut mid-request.
      await waitFor(() => proxy.stats.bytesFromClients >= 10, { what: 'the proxy to receive the first 10 bytes of a ping' });
      half.destroy();
      const garbage = await rawSocket(proxy);
      garbage.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      await closed(garbage);
      await pingThrough(proxy);
      // A session logs why it closed as it closes.
      await waitFor(() => proxy.stats.connectionsOpen === 0, { what: 'the proxy to close every connection' });
      expect(lines.some((l) => /left mid-request/.test(l))).toBe(true);
      expect(lines.some((l) => /undecodable request stream: message length/.test(l))).toBe(true);
      expect(sink.records.some((r) => r.cmd === 'ping')).toBe(true);
      expect(proxy.stats.connectionsOpen).toBe(0);
    } finally {
      await proxy.stop();
    }
  });

  test('arbitrary, truncated and corrupted byte streams never crash the proxy; a well-behaved client still works afterwards', async () => {
    const sink = new MemorySink();
    const proxy = await startProxy({ upstream: server.uri, sink });
    const stream = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.tuple(messageBytesArb, fc.nat()).map(([m, cut]) => m.subarray(0, 1 + (cut % m.length))),
      fc.tuple(messageBytesArb, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([m, at, v]) => {
        const c = Buffer.from(m);
        c[at % c.length] = v;
        return c;
      }),
    );
    try {
      await fc.assert(
        fc.asyncProperty(stream, async (bytes) => {
          const before = proxy.stats.bytesFromClients;
          const s = await rawSocket(proxy);
          s.on('error', () => undefined);
          s.write(bytes);
          // The proxy frames each chunk as it arrives: once it has counted every byte (or
          // hung up on them) it has acted on all of them. A prefix of a valid message gets
          // no answer, so the client then leaves, and the proxy must take that too.
          await waitFor(() => s.destroyed || proxy.stats.bytesFromClients - before >= bytes.length, { what: `the proxy to read ${bytes.length} bytes or hang up` });
          s.destroy();
          await waitFor(() => proxy.stats.connectionsOpen === 0, { what: 'the proxy to close the connection' });
        }),
        // Plus headers alone: an OP_MSG (and an OP_QUERY) framed at 16 bytes, with no room for flags or a body.
        { numRuns: 25, examples: [[headerOnly(2013, 16)], [headerOnly(2013, 18)], [headerOnly(2004, 16)]] },
      );
      await pingThrough(proxy);
      expect(sink.records.some((r) => r.cmd === 'ping' && r.reply)).toBe(true);
    } finally {
      await proxy.stop();
    }
  });

  // FerretDB 1.24 answers moreToCome requests although the spec says no reply comes, so
  // the driver then pairs that stray reply with its next command: a FerretDB difference
  // the proxy must pass on exactly as a direct connection shows it.
  test('an unacknowledged write (OP_MSG moreToCome) is recorded at once without a reply; the app sees what it sees direct', async () => {
    const w0Then = async (uri: string): Promise<string> => {
      const client = new MongoClient(uri);
      try {
        const coll = client.db(uniqueDbName('w0')).collection<{ _id: number }>('c');
        await coll.insertOne({ _id: 7 }, { writeConcern: { w: 0 } });
        return JSON.stringify(await coll.findOne({ _id: 7 }));
      } catch (err) {
        return `error: ${(err as Error).message}`;
      } finally {
        await client.close();
      }
    };
    const sink = new MemorySink();
    const proxy = await startProxy({ upstream: server.uri, sink });
    let viaProxy: string;
    try {
      viaProxy = await w0Then(`mongodb://${proxy.address}/?directConnection=true`);
    } finally {
      await proxy.stop();
    }
    expect(viaProxy).toBe(await w0Then(server.uri));
    const w0 = sink.records.find((r) => r.cmd === 'insert')!;
    expect(w0).toMatchObject({ dur: null, notReplayable: 'unacknowledged-reply-missing', wire: { moreToCome: true } });
    expect(w0.reply).toBeUndefined();
  });

  test('upstream killed mid-run: the client sees its connection closed, the proxy serves new connections once it is back', async () => {
    const tap = await startTap('127.0.0.1', server.port);
    const sink = new MemorySink();
    const proxy = await startProxy({ upstream: `mongodb://${tap.address}/?directConnection=true`, sink });
    let second: FerretDbInstance | undefined;
    const client = new MongoClient(`mongodb://${proxy.address}/?directConnection=true`, { serverSelectionTimeoutMS: 5000, retryReads: false, retryWrites: false, heartbeatFrequencyMS: 500 });
    try {
      const coll = client.db(uniqueDbName('f')).collection<{ _id: number }>('c');
      await coll.insertOne({ _id: 1 });
      // Kill the server process mid-run and cut what it had open.
      process.kill(server.pid, 'SIGKILL');
      tap.cutAll();
      await expect(coll.findOne({ _id: 1 })).rejects.toThrow();
      // The same address answers again, backed by a restarted server.
      second = await startFerretDb({ name: 'faults-2', replicaSet: false });
      tap.retarget(second.port);
      // The driver reconnects on its own schedule (heartbeat 500 ms): retry until a write goes through.
      await waitFor(
        () => coll.insertOne({ _id: 2 }).then(
          () => true,
          () => false,
        ),
        { what: 'an insert through the proxy to succeed against the restarted server', timeoutMs: 20_000, intervalMs: 250 },
      );
      expect(await coll.findOne({ _id: 2 })).toEqual({ _id: 2 });
      expect(sink.records.filter((r) => r.cmd === 'insert' && !r.error && r.reply).length).toBeGreaterThanOrEqual(2);
    } finally {
      await client.close();
      await proxy.stop();
      await tap.stop();
      await server.stop();
      if (second) server = second;
    }
  });

  test('recorder queue full: records are dropped and counted, the application is unaffected', async () => {
    const sink = new MemorySink(5);
    const proxy = await startProxy({ upstream: server.uri, sink });
    const client = new MongoClient(`mongodb://${proxy.address}/?directConnection=true`);
    const direct = new MongoClient(server.uri);
    try {
      const viaProxy = await nodeWorkload(client.db(uniqueDbName('q')));
      const expected = await nodeWorkload(direct.db(uniqueDbName('q')));
      expect(viaProxy).toEqual(expected);
      expect(sink.records).toHaveLength(5);
      expect(sink.dropped).toBeGreaterThan(5);
      expect(proxy.stats.dropped).toBe(sink.dropped);
      expect(proxy.statusLine()).toMatch(new RegExp(`${sink.dropped} dropped`));
    } finally {
      await client.close();
      await direct.close();
      await proxy.stop();
    }
  });

  test('recording worker behind its queue bound: operations are dropped and counted, every recorded one is whole, the application is unaffected', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mc-proxy-worker-'));
    const path = join(dir, 'capture.jsonl.gz');
    // 2 KiB in flight: a handful of messages per batch, then drops until the worker catches up.
    const proxy = await startProxy({
      upstream: server.uri,
      capture: { path, header: { source: { kind: 'proxy', host: 'test' }, startedAt: new Date().toISOString(), redaction: { mode: 'none' }, replyMode: 'full' }, writer: { maxQueueBytes: 2048 } },
    });
    const client = new MongoClient(`mongodb://${proxy.address}/?directConnection=true`);
    const direct = new MongoClient(server.uri);
    try {
      const viaProxy = await nodeWorkload(client.db(uniqueDbName('wq')));
      const expected = await nodeWorkload(direct.db(uniqueDbName('wq')));
      expect(viaProxy).toEqual(expected);
    } finally {
      await client.close();
      await direct.close();
      await proxy.stop();
    }
    try {
      const records: OperationRecord[] = [];
      let footer: CaptureFooter | undefined;
      for await (const r of readCapture(path, { onFooter: (f) => (footer = f) })) records.push(r);
      expect(proxy.stats.dropped).toBeGreaterThan(0);
      expect(records.length).toBeGreaterThan(0);
      expect(records).toHaveLength(proxy.stats.opsRecorded);
      expect(proxy.files).toEqual([path]);
      expect(footer?.last).toBe(true);
      // Lost messages never leave a request paired with nothing: what is recorded has its reply.
      for (const r of records) expect(r.dur, `${r.cmd} #${r.seq}`).not.toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a capture file that cannot be created fails the proxy start with one line', async () => {
    await expect(
      startProxy({
        upstream: server.uri,
        capture: { path: '/nonexistent-dir/x/capture.jsonl.gz', header: { source: { kind: 'proxy' }, startedAt: new Date().toISOString(), redaction: { mode: 'none' }, replyMode: 'full' } },
      }),
    ).rejects.toThrow(/cannot create capture file \/nonexistent-dir\/x\/capture\.jsonl\.gz/);
  });

  test('a recorder that crashes stops recording; traffic keeps flowing', async () => {
    let calls = 0;
    const crashing: RecordSink = {
      dropped: 0,
      write(_r: OperationRecord): boolean {
        calls++;
        throw new Error('disk on fire');
      },
      close: async () => undefined,
    };
    const lines: string[] = [];
    const proxy = await startProxy({ upstream: server.uri, sink: crashing, log: (l) => lines.push(l) });
    try {
      await pingThrough(proxy);
      await pingThrough(proxy);
      expect(calls).toBe(1);
      expect(proxy.stats.dropped).toBeGreaterThan(1);
      expect(lines.some((l) => /recorder failed.*disk on fire/.test(l))).toBe(true);
    } finally {
      await proxy.stop();
    }
  });
});
