import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../../harness/capture/ingest/ingest.ts';
import type { IngestIssue } from '../../../harness/capture/ingest/summary.ts';
import { readCapture } from '../../../harness/store/reader.ts';
import type { OperationRecord } from '../../../harness/model/record.ts';
import { crc32c } from '../../../harness/wire/index.ts';
import { startProxy } from '../../../harness/capture/proxy/index.ts';
import { testUri, uniqueDbName } from '../../helpers/fresh-db.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { buildPackets, startTee, writeDirectory, writeSingleFile, type Tee, type TeeMessage } from './traffic-recording-writer.ts';

/**
 * The Node driver talks to the suite's real server through a socket tee; the messages
 * it saw are written as the traffic recorder's files (each layout), then ingested and
 * read back from the capture.
 */
let tee: Tee;
let dir: string;
let messages: TeeMessage[];
const dbName = uniqueDbName('tr');
/** The recording started a little before the first message (set once the traffic exists). */
let START_MS = 0;

beforeAll(async () => {
  const u = new URL(testUri());
  tee = await startTee(u.hostname, Number(u.port));
  dir = await mkdtemp(join(tmpdir(), 'mc-traffic-'));
  const client = new MongoClient(`mongodb://127.0.0.1:${tee.port}/?directConnection=true&appName=ordersApp`, { serverSelectionTimeoutMS: 10_000 });
  try {
    await client.connect();
    const coll = client.db(dbName).collection<{ _id: number; sku: string; qty: BSON.Int32 | number; at: Date }>('orders');
    await coll.insertMany([
      { _id: 1, sku: 'a', qty: new BSON.Int32(2), at: new Date(1_600_000_000_000) },
      { _id: 2, sku: 'b', qty: new BSON.Int32(5), at: new Date(1_600_000_000_001) },
      { _id: 3, sku: 'c', qty: new BSON.Int32(9), at: new Date(1_600_000_000_002) },
    ]);
    await coll.find({ qty: { $gt: 3 } }).sort({ _id: 1 }).toArray();
    await coll.updateOne({ _id: 1 }, { $inc: { qty: 1 } });
    await coll.aggregate([{ $match: { sku: { $in: ['a', 'b'] } } }, { $count: 'n' }]).toArray();
    await coll.deleteOne({ _id: 3 });
    await client.db(dbName).command({ noSuchCommand: 1 }).catch(() => undefined);
    await client.db(dbName).dropDatabase();
  } finally {
    await client.close();
  }
  // The driver hangs up without waiting for its last messages (endSessions) to arrive:
  // once the tee has seen every connection close, it has seen every message.
  await waitFor(() => tee.openSockets === 0, { what: 'the tee to see the driver close every connection' });
  messages = [...tee.messages];
  START_MS = Math.floor(messages[0]!.t / 1000) - 5_000;
});

afterAll(async () => {
  await tee?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function ingest(path: string): Promise<{ records: OperationRecord[]; issues: IngestIssue[]; result: Awaited<ReturnType<typeof runIngest>> }> {
  const issues: IngestIssue[] = [];
  const out = join(dir, `${Math.random().toString(36).slice(2)}.jsonl.gz`);
  const result = await runIngest({ source: { kind: 'traffic-recording', path }, out, onIssue: (i) => issues.push(i) });
  const records: OperationRecord[] = [];
  for await (const r of readCapture(out)) records.push(r);
  return { records, issues, result };
}

function dataOps(records: OperationRecord[]): OperationRecord[] {
  return records.filter((r) => r.db === dbName);
}

function checkOperations(records: OperationRecord[]): void {
  const ops = dataOps(records);
  expect(ops.map((r) => r.cmd)).toEqual(['insert', 'find', 'update', 'aggregate', 'delete', 'noSuchCommand', 'dropDatabase']);
  const [insert, find, update, aggregate, del, bad] = ops as [OperationRecord, OperationRecord, OperationRecord, OperationRecord, OperationRecord, OperationRecord];
  // The kind-1 documents sequence is merged into the command, types intact.
  const docs = insert.command.documents as Record<string, unknown>[];
  expect(docs).toHaveLength(3);
  expect(docs[2]!.qty).toBeInstanceOf(BSON.Int32);
  expect(docs[0]!.at).toEqual(new Date(1_600_000_000_000));
  expect(find.coll).toBe('orders');
  expect(BSON.EJSON.stringify(find.command.filter as BSON.Document)).toBe('{"qty":{"$gt":3}}');
  // Replies are paired with their requests.
  const batch = ((find.reply as { doc: BSON.Document }).doc.cursor as BSON.Document).firstBatch as BSON.Document[];
  expect(batch.map((d) => Number(d._id))).toEqual([2, 3]);
  expect(update.command.updates).toHaveLength(1);
  expect(aggregate.command.pipeline).toHaveLength(2);
  expect(del.command.deletes).toHaveLength(1);
  expect(bad.error?.code).toBeTypeOf('number');
  for (const r of ops) {
    expect(r.app).toBe('ordersApp'); // from the session's handshake
    expect(r.client).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(r.dur).not.toBeNull();
    expect(r.reply?.mode).toBe('full');
    expect(r.notReplayable).toBeUndefined();
  }
  // Records come in request order, numbered from 0.
  expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i));
  for (let i = 1; i < records.length; i++) expect(records[i]!.t).toBeGreaterThanOrEqual(records[i - 1]!.t - 1000);
}

describe('traffic recording ingest (files written in the recorder layouts from real driver traffic)', () => {
  it('saw a real conversation through the tee', () => {
    expect(messages.filter((m) => m.fromClient).length).toBeGreaterThanOrEqual(7);
    expect(messages.filter((m) => !m.fromClient).length).toBeGreaterThanOrEqual(7);
  });

  it('4.2 layout: one file, epoch-ms times, no checksum', async () => {
    const file = join(dir, 'recording-4.2.bin');
    await writeSingleFile(file, buildPackets(messages, { layout: 'classic', time: 'date', startMs: START_MS }));
    const { records, issues } = await ingest(file);
    expect(issues).toEqual([]);
    checkOperations(records);
    // Millisecond clock: start times are whole milliseconds of the tee's clock.
    const first = dataOps(records)[0]!;
    const seen = messages.find((m) => m.fromClient && m.message.includes(Buffer.from('insert')))!;
    expect(first.t).toBe(Math.floor(seen.t / 1000) * 1000);
  });

  it('later layout: a directory of rotated <ms>.bin files with checksum.txt, µs offsets', async () => {
    const d = join(dir, 'rec-dir');
    await writeDirectory(d, buildPackets(messages, { layout: 'classic', time: 'offset', startMs: START_MS }), START_MS, 5);
    const { records, issues } = await ingest(d);
    expect(issues).toEqual([]);
    checkOperations(records);
    // Offsets land on the epoch clock by the first file's name.
    const seen = messages.find((m) => m.fromClient && m.message.includes(Buffer.from('insert')))!;
    expect(dataOps(records)[0]!.t).toBe(seen.t);
  });

  it('event layout (session start events, eventType byte) is detected and read', async () => {
    const d = join(dir, 'rec-event');
    await writeDirectory(d, buildPackets(messages, { layout: 'event', time: 'offset', startMs: START_MS }), START_MS, 1000);
    const { records, issues } = await ingest(d);
    expect(issues).toEqual([]);
    checkOperations(records);
  });

  it('a packet whose OP_MSG checksum is wrong is reported and skipped; the rest is read', async () => {
    const bad = messages.map((m) => {
      if (!m.fromClient || !m.message.includes(Buffer.from('aggregate'))) return m;
      // Set checksumPresent and append a CRC-32C that does not match.
      const body = Buffer.from(m.message);
      body.writeUInt32LE(body.readUInt32LE(16) | 1, 16);
      const withSum = Buffer.concat([body, Buffer.alloc(4)]);
      withSum.writeInt32LE(withSum.length, 0);
      withSum.writeUInt32LE((crc32c(withSum, 0, withSum.length - 4) ^ 0xdeadbeef) >>> 0, withSum.length - 4);
      return { ...m, message: withSum };
    });
    const file = join(dir, 'bad-crc.bin');
    await writeSingleFile(file, buildPackets(bad, { layout: 'classic', time: 'date', startMs: START_MS }));
    const { records, issues } = await ingest(file);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file, code: 'MC_INGEST_TRAFFIC_BAD_MESSAGE' });
    expect(issues[0]!.message).toMatch(/checksum/);
    expect(dataOps(records).map((r) => r.cmd)).toEqual(['insert', 'find', 'update', 'delete', 'noSuchCommand', 'dropDatabase']);
  });

  it('a file changed after recording fails its checksum.txt line, reported with the file', async () => {
    const d = join(dir, 'rec-tampered');
    const [first] = await writeDirectory(d, buildPackets(messages, { layout: 'classic', time: 'offset', startMs: START_MS }), START_MS, 100_000);
    const bytes = await readFile(first!);
    const at = bytes.indexOf(Buffer.from('ordersApp'));
    bytes[at] = 'O'.charCodeAt(0); // same length, still valid BSON: only the checksum can tell
    await writeFile(first!, bytes);
    const { records, issues } = await ingest(d);
    expect(issues.map((i) => i.code)).toEqual(['MC_INGEST_TRAFFIC_CHECKSUM']);
    expect(issues[0]!.file).toBe(first);
    expect(dataOps(records)).toHaveLength(7);
  });

  it('a recording cut inside a packet yields every whole packet and marks the input cut', async () => {
    const packets = buildPackets(messages, { layout: 'classic', time: 'date', startMs: START_MS });
    const file = join(dir, 'cut.bin');
    await writeSingleFile(file, packets);
    const total = packets.reduce((n, p) => n + p.length, 0);
    await truncate(file, total - Math.floor(packets.at(-1)!.length / 2));
    const { records, issues, result } = await ingest(file);
    expect(issues).toEqual([]);
    expect(result.inputCut).toMatchObject({ input: file, at: `byte ${total - packets.at(-1)!.length}` });
    expect(result.inputCut!.reason).toContain(`packet ${packets.length} is cut short`);
    expect(dataOps(records).length).toBeGreaterThanOrEqual(6);
  });
});

describe('traffic recording ingest against the proxy', () => {
  it('a recording of traffic that went through the proxy reads back into the operations the proxy recorded', async () => {
    const seen: OperationRecord[] = [];
    const sink = { dropped: 0, write: (r: OperationRecord) => (seen.push(r), true), close: async () => undefined };
    const proxy = await startProxy({ upstream: testUri(), sink });
    const tee2 = await startTee('127.0.0.1', proxy.port);
    const db2 = uniqueDbName('trp');
    const client = new MongoClient(`mongodb://127.0.0.1:${tee2.port}/?directConnection=true&appName=proxiedApp`, { serverSelectionTimeoutMS: 10_000 });
    try {
      await client.connect();
      const coll = client.db(db2).collection<{ _id: number; v: number }>('c');
      await coll.insertMany([{ _id: 1, v: 1 }, { _id: 2, v: 2 }]);
      await coll.find({ v: { $gte: 1 } }).toArray();
      await coll.updateMany({}, { $inc: { v: 10 } });
      await client.db(db2).dropDatabase();
    } finally {
      await client.close();
      // Every connection closed at the tee and then at the proxy: both saw all there was.
      await waitFor(() => tee2.openSockets === 0 && proxy.stats.connectionsOpen === 0, { what: 'the tee and the proxy to see every connection close' });
      await tee2.stop();
      await proxy.stop();
    }
    const file = join(dir, 'via-proxy.bin');
    await writeSingleFile(file, buildPackets(tee2.messages, { layout: 'classic', time: 'date', startMs: 0 }));
    const { records, issues } = await ingest(file);
    expect(issues).toEqual([]);
    const canon = (r: OperationRecord) => BSON.EJSON.stringify({ cmd: r.cmd, db: r.db, command: r.command, reply: r.reply?.mode === 'full' ? r.reply.doc : null }, { relaxed: false });
    const fromRecording = records.filter((r) => r.db === db2).map(canon);
    const fromProxy = seen.filter((r) => r.db === db2).sort((a, b) => a.seq - b.seq).map(canon);
    expect(fromRecording).toHaveLength(4);
    expect(fromRecording).toEqual(fromProxy);
  });
});
