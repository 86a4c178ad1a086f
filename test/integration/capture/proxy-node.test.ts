import { MongoClient, type CommandStartedEvent } from 'mongodb';
import { beforeAll, describe, expect, test } from 'vitest';
import { startProxy } from '../../../harness/capture/proxy/index.ts';
import type { CompressorName } from '../../../harness/wire/index.ts';
import { startCompressionShim } from '../../helpers/compression-shim.ts';
import { testUri, uniqueDbName } from '../../helpers/fresh-db.ts';
import { MemorySink } from '../../helpers/memory-sink.ts';
import { nodeWorkload, WORKLOAD_COMMANDS } from '../../helpers/node-workload.ts';
import { compareHops, startTap } from '../../helpers/tcp-tap.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const HANDSHAKE = new Set(['hello', 'isMaster', 'ismaster', 'endSessions']);

function hostPort(uri: string): [string, number] {
  const m = /^mongodb:\/\/([^/:]+):(\d+)/.exec(uri)!;
  return [m[1]!, Number(m[2])];
}

/**
 * client → tapA → proxy → tapB → server. The taps prove that what the app received
 * is byte for byte what the server sent (and the other way round).
 */
async function throughProxy(target: string, appName: string, compressor?: CompressorName) {
  const [host, port] = hostPort(target);
  const tapB = await startTap(host, port);
  const sink = new MemorySink();
  const proxy = await startProxy({ upstream: `mongodb://user:s3cret@${tapB.address}/?directConnection=true`, sink });
  const tapA = await startTap(proxy.host, proxy.port);
  const started: CommandStartedEvent[] = [];
  const client = new MongoClient(`mongodb://${tapA.address}/?directConnection=true&appName=${appName}${compressor ? `&compressors=${compressor}` : ''}`, {
    monitorCommands: true,
    serverSelectionTimeoutMS: 10_000,
  });
  client.on('commandStarted', (e) => started.push(e));
  const dbName = uniqueDbName('px');
  let results: unknown[];
  try {
    await client.connect();
    results = await nodeWorkload(client.db(dbName));
    await client.db(dbName).dropDatabase();
  } finally {
    await client.close();
    // The driver hangs up without waiting for endSessions to arrive; once every hop has
    // seen every connection close, every byte sent has crossed every hop.
    await waitFor(() => tapA.openSockets === 0 && proxy.stats.connectionsOpen === 0 && tapB.openSockets === 0, {
      what: 'both taps and the proxy to see every connection close',
    });
    await proxy.stop();
    await tapA.stop();
    await tapB.stop();
  }
  return { sink, started, results, tapA, tapB, proxy };
}

describe('proxy with the Node driver', () => {
  let direct: unknown[];
  beforeAll(async () => {
    const client = new MongoClient(testUri());
    const db = client.db(uniqueDbName('direct'));
    try {
      direct = await nodeWorkload(db);
      await db.dropDatabase();
    } finally {
      await client.close();
    }
  });

  test('the workload sees the same results as direct, byte-identical replies, and the capture holds exactly its operations', async () => {
    const run = await throughProxy(testUri(), 'node-app');
    expect(run.results).toEqual(direct);
    // Every byte the server sent reached the app unchanged, and every request reached the server unchanged.
    expect(compareHops(run.tapA.connections, run.tapB.connections)).toBeUndefined();

    const sent = run.started.filter((e) => !HANDSHAKE.has(e.commandName)).map((e) => [e.requestId, e.commandName]);
    const recorded = run.sink.records.filter((r) => !HANDSHAKE.has(r.cmd)).map((r) => [r.wire?.requestId, r.cmd]);
    expect(recorded.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(sent.sort((a, b) => Number(a[0]) - Number(b[0])));
    for (const name of WORKLOAD_COMMANDS) expect(recorded.map((r) => r[1])).toContain(name);

    for (const r of run.sink.records) {
      expect(r.app).toBe('node-app');
      // The driver's first handshake goes over OP_QUERY (legacy isMaster); everything else is OP_MSG.
      if (!HANDSHAKE.has(r.cmd)) expect(r.op).toBe('OP_MSG');
      expect(r.conn).toMatch(/^p1:\d+$/);
      expect(r.client).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(r.t).toBeGreaterThan(Date.now() * 1000 - 120e6);
    }
    const insert = run.sink.records.find((r) => r.cmd === 'insert' && Array.isArray(r.command.documents) && r.command.documents.length === 30)!;
    expect(insert.coll).toBe('jobs');
    expect(insert.reply).toMatchObject({ mode: 'full' });
    expect(insert.dur).toBeGreaterThanOrEqual(0);
    expect(insert.replySize).toBeGreaterThan(16);
    const dup = run.sink.records.find((r) => r.cmd === 'insert' && r.error)!;
    expect(dup.error).toMatchObject({ code: 11000 });
    const unknown = run.sink.records.find((r) => r.cmd === 'noSuchCommandHere')!;
    expect(unknown.error?.code).toBe(59);
    // Sequence numbers are unique.
    const seqs = run.sink.records.map((r) => r.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(run.proxy.stats.opsRecorded).toBe(run.sink.records.length);
    expect(run.proxy.stats.dropped).toBe(0);
  });

  test('reply mode digest keeps a hash and a count; --app overrides the client metadata; hash-paths redaction applies to the capture only', async () => {
    const sink = new MemorySink();
    const proxy = await startProxy({ upstream: testUri(), sink, app: 'label', replyMode: 'digest', redaction: { mode: 'hash-paths', paths: ['state'], key: 'k' } });
    const client = new MongoClient(`mongodb://${proxy.address}/?directConnection=true&appName=ignored`);
    let results: unknown[];
    try {
      const db = client.db(uniqueDbName('dg'));
      results = await nodeWorkload(db);
      await db.dropDatabase();
    } finally {
      await client.close();
      await proxy.stop();
    }
    expect(results).toEqual(direct);
    const find = sink.records.find((r) => r.cmd === 'find' && r.reply?.mode === 'digest' && r.reply.count === 5)!;
    expect(find.reply).toMatchObject({ mode: 'digest', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(sink.records.every((r) => r.app === 'label')).toBe(true);
    const insert = sink.records.find((r) => r.cmd === 'insert' && Array.isArray(r.command.documents) && r.command.documents.length === 30)!;
    const states = new Set((insert.command.documents as { state: string }[]).map((d) => d.state));
    expect(states.size).toBe(2);
    for (const s of states) expect(s).toMatch(/^hmac:/);
  });

  // FerretDB 1.24 does not negotiate wire compression, so a compressing relay (test helper)
  // stands between the proxy and the server; the proxy sees real OP_COMPRESSED traffic.
  test.each(['zlib', 'snappy', 'zstd'] as const)('with %s compression the capture holds the decompressed operations and bytes pass unchanged', async (compressor) => {
    const [host, port] = hostPort(testUri());
    const shim = await startCompressionShim(host, port);
    try {
      const run = await throughProxy(`mongodb://${shim.address}`, `node-${compressor}`, compressor);
      expect(run.results).toEqual(direct);
      expect(compareHops(run.tapA.connections, run.tapB.connections)).toBeUndefined();
      const ops = run.sink.records.filter((r) => !HANDSHAKE.has(r.cmd));
      const sent = run.started.filter((e) => !HANDSHAKE.has(e.commandName)).map((e) => e.requestId).sort((a, b) => a - b);
      expect(ops.map((r) => r.wire?.requestId).sort((a, b) => Number(a) - Number(b))).toEqual(sent);
      expect(ops.every((r) => r.wire?.compressor === compressor)).toBe(true);
      const find = ops.find((r) => r.cmd === 'find')!;
      expect(find.command.find).toBe('jobs');
      expect(find.reply?.mode === 'full' && Array.isArray((find.reply.doc.cursor as { firstBatch: unknown[] }).firstBatch)).toBe(true);
      expect(ops.every((r) => r.app === `node-${compressor}`)).toBe(true);
    } finally {
      await shim.stop();
    }
  });
});

