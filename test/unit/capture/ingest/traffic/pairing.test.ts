import { BSON, type Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { OperationRecord } from '../../../../../harness/model/record.ts';
import type { IngestIssue } from '../../../../../harness/capture/ingest/summary.ts';
import { pairPackets, type TimedPacket } from '../../../../../harness/capture/ingest/traffic/pairing.ts';
import { buildLegacy, buildOpMsg, compressMessage, MSG_FLAGS, OP_CODES } from '../../../../../harness/wire/index.ts';

/*
 * A server's traffic recording paired into records: packets carry real framed
 * messages built with the wire codec, from several sessions interleaved.
 */

const bson = (d: Document) => Buffer.from(BSON.serialize(d));
const i32 = (n: number) => new BSON.Int32(n);
function msg(requestId: number, body: Document, options: { responseTo?: number; flags?: number } = {}): Buffer {
  return Buffer.concat(buildOpMsg({ requestId, responseTo: options.responseTo ?? 0, flags: options.flags ?? 0, sections: [{ kind: 0, body: bson(body) }] }));
}

let index = 0;
function packet(sessionId: number, t: number, message: Buffer): TimedPacket {
  return { file: 'rec.bin', index: ++index, sessionId: BigInt(sessionId), session: `{ remote: "10.0.0.${sessionId}:5000", local: "10.0.0.1:27017" }`, t, message };
}

async function* feed(packets: TimedPacket[], pulled?: { n: number }): AsyncGenerator<TimedPacket> {
  for (const p of packets) {
    if (pulled) pulled.n++;
    yield p;
  }
}

async function pair(packets: TimedPacket[], options: { app?: string; firstSeq?: number } = {}) {
  const issues: IngestIssue[] = [];
  const records: OperationRecord[] = [];
  for await (const r of pairPackets(feed(packets), { ...options, onIssue: (i) => void issues.push(i) })) records.push(r);
  return { records, issues };
}

describe('pairPackets', () => {
  it('pairs each request with its reply within its own session, though both sessions use the same requestIDs', async () => {
    const { records, issues } = await pair([
      packet(1, 100, msg(1, { find: 'a', $db: 'd' })),
      packet(2, 110, msg(1, { count: 'b', $db: 'd' })),
      packet(2, 130, msg(9, { n: i32(4), ok: 1 }, { responseTo: 1 })),
      packet(1, 150, msg(9, { cursor: { id: BSON.Long.ZERO, ns: 'd.a', firstBatch: [] }, ok: 1 }, { responseTo: 1 })),
    ]);
    expect(issues).toEqual([]);
    expect(records.map((r) => [r.seq, r.conn, r.cmd, r.dur, r.client])).toEqual([
      [0, 's1', 'find', 50, '10.0.0.1:5000'],
      [1, 's2', 'count', 20, '10.0.0.2:5000'],
    ]);
    expect(records[1]!.reply).toEqual({ mode: 'full', doc: { n: i32(4), ok: i32(1) } });
    expect(records[0]!.wire).toEqual({ requestId: 1, replies: 1 });
  });

  it('gives records in request order, whatever order the replies come in', async () => {
    const { records } = await pair([
      packet(1, 100, msg(1, { ping: 1, $db: 'admin' })),
      packet(2, 101, msg(1, { ping: 2, $db: 'admin' })),
      packet(3, 102, msg(1, { ping: 3, $db: 'admin' })),
      packet(3, 103, msg(2, { ok: 1 }, { responseTo: 1 })),
      packet(1, 104, msg(2, { ok: 1 }, { responseTo: 1 })),
      packet(2, 105, msg(2, { ok: 1 }, { responseTo: 1 })),
    ]);
    expect(records.map((r) => [r.conn, r.dur])).toEqual([
      ['s1', 4],
      ['s2', 4],
      ['s3', 1],
    ]);
  });

  it('keeps an exhaust stream as one record, every reply counted, the last one kept', async () => {
    const { records } = await pair([
      packet(1, 100, msg(1, { getMore: BSON.Long.fromNumber(5), collection: 'a', $db: 'd' }, { flags: MSG_FLAGS.EXHAUST_ALLOWED })),
      packet(1, 110, msg(2, { cursor: { id: BSON.Long.fromNumber(5), nextBatch: [{ x: i32(1) }] }, ok: 1 }, { responseTo: 1, flags: MSG_FLAGS.MORE_TO_COME })),
      packet(1, 120, msg(3, { cursor: { id: BSON.Long.ZERO, nextBatch: [{ x: i32(2) }] }, ok: 1 }, { responseTo: 2 })),
    ]);
    expect(records).toHaveLength(1);
    expect(records[0]!.wire).toEqual({ requestId: 1, exhaustAllowed: true, replies: 2 });
    expect(records[0]!.dur).toBe(20);
    expect(records[0]!.reply).toMatchObject({ doc: { cursor: { nextBatch: [{ x: i32(2) }] } } });
  });

  it('ignores a reply to a request from before the recording, and records a request never answered without a reply at the end', async () => {
    const { records } = await pair([packet(1, 100, msg(2, { ok: 1 }, { responseTo: 77 })), packet(1, 110, msg(3, { find: 'a', $db: 'd' }))]);
    expect(records.map((r) => [r.cmd, r.dur, r.reply])).toEqual([['find', null, undefined]]);
  });

  it('releases a request whose reply never comes after 10,000 later requests, so memory stays bounded', async () => {
    const packets = [packet(1, 0, msg(1, { find: 'lost', $db: 'd' }))];
    for (let i = 0; i < 10_001; i++) {
      packets.push(packet(2, i + 1, msg(i + 1, { ping: 1, $db: 'admin' })), packet(2, i + 1, msg(i + 50_000, { ok: 1 }, { responseTo: i + 1 })));
    }
    const pulled = { n: 0 };
    let pulledAtFirst = -1;
    const out: OperationRecord[] = [];
    for await (const r of pairPackets(feed(packets, pulled), { onIssue: () => undefined })) {
      if (out.length === 0) pulledAtFirst = pulled.n;
      out.push(r);
    }
    expect(out[0]).toMatchObject({ cmd: 'find', dur: null });
    expect(pulledAtFirst).toBeLessThan(packets.length); // before the input ended
    expect(out).toHaveLength(10_002);
  });

  it('records a w:0 request at once, not replayable', async () => {
    const { records } = await pair([packet(1, 100, msg(1, { insert: 'a', documents: [], writeConcern: { w: i32(0) }, $db: 'd' }, { flags: MSG_FLAGS.MORE_TO_COME }))]);
    expect(records[0]).toMatchObject({ cmd: 'insert', dur: null, notReplayable: 'unacknowledged-reply-missing', wire: { moreToCome: true } });
  });

  it('keeps of an auth conversation only which step it was, without its payload or reply', async () => {
    const payload = new BSON.Binary(Buffer.from('n,,n=user,r=secret'));
    const { records } = await pair([
      packet(1, 100, msg(1, { saslStart: 1, mechanism: 'SCRAM-SHA-256', payload, $db: 'admin' })),
      packet(1, 110, msg(2, { conversationId: i32(1), payload, done: true, ok: 1 }, { responseTo: 1 })),
    ]);
    expect(records).toHaveLength(1);
    expect(records[0]!.command).toEqual({ saslStart: i32(1) });
    expect(records[0]!.notReplayable).toBe('auth');
    expect(records[0]!.reply).toBeUndefined();
    expect(JSON.stringify(records)).not.toContain('secret');
  });

  it('names the app from the session handshake (OP_QUERY isMaster), or from --app', async () => {
    const handshake = Buffer.concat(
      buildLegacy({ requestId: 1, opCode: OP_CODES.OP_QUERY, flags: 0, fullCollectionName: 'admin.$cmd', numberToSkip: 0, numberToReturn: -1, query: bson({ isMaster: 1, client: { application: { name: 'billing' } } }) }),
    );
    const reply = Buffer.concat(buildLegacy({ requestId: 2, responseTo: 1, opCode: OP_CODES.OP_REPLY, responseFlags: 0, cursorId: 0n, startingFrom: 0, documents: [bson({ ismaster: true, ok: 1 })] }));
    const packets = () => [packet(1, 100, handshake), packet(1, 110, reply), packet(1, 120, msg(3, { find: 'a', $db: 'd' })), packet(1, 130, msg(4, { ok: 1 }, { responseTo: 3 }))];
    const { records } = await pair(packets());
    expect(records.map((r) => [r.op, r.cmd, r.app])).toEqual([
      ['OP_QUERY', 'isMaster', 'billing'],
      ['OP_MSG', 'find', 'billing'],
    ]);
    expect(records[0]!.reply).toEqual({ mode: 'full', doc: { ismaster: true, ok: i32(1) } });
    expect((await pair(packets(), { app: 'given', firstSeq: 40 })).records.map((r) => [r.seq, r.app])).toEqual([
      [40, 'given'],
      [41, 'given'],
    ]);
  });

  it('unwraps compressed messages and reports a message it cannot decode as an issue', async () => {
    const bad = msg(5, { find: 'a', $db: 'd' });
    bad.writeInt32LE(bad.length + 1, 0);
    const { records, issues } = await pair([
      packet(1, 100, await compressMessage(msg(1, { find: 'a', $db: 'd' }), 'zlib')),
      packet(1, 110, await compressMessage(msg(2, { ok: 1 }, { responseTo: 1 }), 'snappy')),
      packet(1, 120, bad),
      packet(1, 130, Buffer.alloc(0)), // a session start or end event
    ]);
    expect(records.map((r) => [r.cmd, r.wire?.compressor, r.dur])).toEqual([['find', 'zlib', 10]]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: 'rec.bin', code: 'MC_INGEST_TRAFFIC_BAD_MESSAGE' });
    expect(issues[0]!.message).toMatch(/^session 1: /);
  });
});
