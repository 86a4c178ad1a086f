import { Readable } from 'node:stream';
import { BSON, type Document } from 'mongodb';
import { describe, expect, test } from 'vitest';
import { runPcapIngest, type PcapIngestOptions } from '../../../../harness/capture/pcap/ingest-pcap.ts';
import type { CaptureHeaderInput } from '../../../../harness/store/writer.ts';
import { buildLegacy, buildOpMsg, compressMessage, OP_CODES } from '../../../../harness/wire/index.ts';
import { MemorySink } from '../../../helpers/memory-sink.ts';
import { conversation, tcpFrame, writePcap, writePcapng, type PacketIn } from '../../../fixtures/pcap/writer.ts';

let nextId = 100;
const msg = (doc: Document, responseTo = 0): Buffer => Buffer.concat(buildOpMsg({ requestId: nextId++, responseTo, sections: [{ kind: 0, body: Buffer.from(BSON.serialize(doc)) }] }));
const idOf = (m: Buffer): number => m.readInt32LE(4);
const ok = (m: Buffer, extra: Document = {}): Buffer => msg({ ...extra, ok: 1 }, idOf(m));

async function ingest(file: Buffer, extra: Partial<PcapIngestOptions> = {}) {
  const sink = new MemorySink();
  let header: CaptureHeaderInput | undefined;
  const result = await runPcapIngest({
    input: 'test.pcap',
    out: 'unused',
    stream: Readable.from([file.subarray(0, 100), file.subarray(100)]),
    openSink: async (_p, h) => {
      header = h;
      return sink;
    },
    ...extra,
  });
  return { result, records: sink.records, header: header! };
}

async function shopConversation(): Promise<{ packets: PacketIn[]; requestIds: number[] }> {
  const hello = Buffer.concat(
    buildLegacy({
      opCode: OP_CODES.OP_QUERY,
      requestId: nextId++,
      flags: 0,
      fullCollectionName: 'admin.$cmd',
      numberToSkip: 0,
      numberToReturn: -1,
      query: Buffer.from(BSON.serialize({ isMaster: 1, client: { application: { name: 'shop' } }, speculativeAuthenticate: { saslStart: 1, payload: 'secret' } })),
    }),
  );
  const helloReply = Buffer.concat(
    buildLegacy({
      opCode: OP_CODES.OP_REPLY,
      requestId: nextId++,
      responseTo: idOf(hello),
      responseFlags: 8,
      cursorId: 0n,
      startingFrom: 0,
      documents: [Buffer.from(BSON.serialize({ ismaster: true, maxWireVersion: 17, speculativeAuthenticate: { payload: 'server-secret' }, ok: 1 }))],
    }),
  );
  const sasl = msg({ saslStart: 1, mechanism: 'SCRAM-SHA-256', payload: new BSON.Binary(Buffer.from('n,,n=user,r=abc')), $db: 'admin' });
  const insert = msg({ insert: 'orders', documents: [{ _id: 1, email: 'a@b.c' }], $db: 'shop' });
  const find = msg({ find: 'orders', filter: { email: 'a@b.c' }, $db: 'shop' });
  const findZ = await compressMessage(find, 'zlib');
  const findReply = await compressMessage(ok(find, { cursor: { id: BSON.Long.fromNumber(0), ns: 'shop.orders', firstBatch: [{ _id: 1 }] } }), 'snappy');
  const createUser = msg({ createUser: 'bob', pwd: 'hunter2', roles: [], $db: 'admin' });
  const packets = conversation(
    [
      { request: hello, reply: helloReply },
      { request: sasl, reply: ok(sasl, { payload: new BSON.Binary(Buffer.from('r=abcdef,s=salt,i=4096')) }) },
      { request: insert, reply: ok(insert, { n: 1 }) },
      { request: findZ, reply: findReply },
      { request: createUser, reply: ok(createUser) },
    ],
    { mss: 40, client: ['10.1.1.5', 51000] },
  );
  return { packets, requestIds: [idOf(hello), idOf(insert), idOf(find)] };
}

describe('ingest --pcap', () => {
  test('a whole conversation becomes the proxy’s records: app from metadata, packet times, pairs, credentials out, compression unwrapped', async () => {
    const { packets, requestIds } = await shopConversation();
    const noise: PacketIn[] = [{ linkType: 1, tsUs: packets[0]!.tsUs, data: Buffer.concat([Buffer.alloc(12, 0xff), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]) }];
    const { result, records, header } = await ingest(writePcap([...noise, ...packets]));
    // saslStart and createUser carry credentials: the proxy records neither, nor does this.
    expect(records.map((r) => r.cmd)).toEqual(['isMaster', 'insert', 'find']);
    expect(records.map((r) => r.wire?.requestId)).toEqual(requestIds);
    for (const r of records) {
      expect(r.app).toBe('shop');
      expect(r.client).toBe('10.1.1.5:51000');
      expect(r.conn).toBe('pcap:1');
      expect(r.reply?.mode).toBe('full');
      expect(r.dur).toBeGreaterThan(0);
    }
    // Times are the packets': the first request's first segment is the fourth packet of the connection.
    expect(records[0]!.t).toBe(packets[3]!.tsUs);
    expect(records[0]!.op).toBe('OP_QUERY');
    expect(records[0]!.command).not.toHaveProperty('speculativeAuthenticate');
    expect(records[0]!.reply?.mode === 'full' && records[0]!.reply.doc).not.toHaveProperty('speculativeAuthenticate');
    expect(records[2]!.wire?.compressor).toBe('zlib');
    expect(records[2]!.reply?.mode === 'full' && BSON.EJSON.serialize(records[2]!.reply.doc)).toMatchObject({ cursor: { ns: 'shop.orders', firstBatch: [{ _id: 1 }] } });
    expect(JSON.stringify(BSON.EJSON.serialize(records))).not.toMatch(/secret|n=user|hunter2/);
    expect(header.source.inputs).toEqual(['pcap:test.pcap']);
    expect(header.replyMode).toBe('full');
    expect(result).toMatchObject({ source: 'pcap', format: 'pcap', records: 3, interrupted: false });
    expect(result.quality).toMatchObject({
      packets: packets.length + 1,
      otherProtocolPackets: 1,
      connections: 1,
      messages: 10,
      pairs: 3,
      unpairedRequests: 0,
      unpairedReplies: 0,
      gaps: 0,
      messagesLost: 0,
      connectionsJoinedMidStream: 0,
    });
  });

  test('the same conversation on every link layer and in pcapng gives the same records', async () => {
    const { packets } = await shopConversation();
    const base = (await ingest(writePcap(packets))).records.map((r) => [r.cmd, r.t, r.client]);
    for (const link of ['sll', 'sll2', 'null', 'loop', 'raw', 'ethernet-vlan'] as const) {
      const relinked = (await shopConversationOn(link)).map((p) => p);
      const got = (await ingest(writePcapng(relinked, { tsresol: 9 }))).records.map((r) => [r.cmd, r.t, r.client]);
      expect(got.map((g) => g[0])).toEqual(base.map((b) => b[0]));
    }
  });

  test('redaction applies as in the proxy; a connection on a --port joined mid-stream is named unknown@client', async () => {
    const insert = msg({ insert: 'c', documents: [{ email: 'x@y.z' }], $db: 'd' });
    const update = msg({ update: 'c', updates: [{ q: { email: 'x@y.z' }, u: { $set: { n: 1 } } }], $db: 'd' });
    const packets = conversation([{ request: insert, reply: ok(insert) }, { request: update, reply: ok(update) }], {
      handshake: false,
      server: ['::1', 28000],
      client: ['::1', 40000],
      link: 'null',
    });
    const { records, header, result } = await ingest(writePcap(packets), { ports: [28000], redaction: { mode: 'hash-paths', paths: ['email'], key: 'k' } });
    expect(records.map((r) => r.cmd)).toEqual(['insert', 'update']);
    expect(records.every((r) => r.app === 'unknown@::1:40000')).toBe(true);
    expect(JSON.stringify(BSON.EJSON.serialize(records))).not.toContain('x@y.z');
    expect(header.redaction).toEqual({ mode: 'hash-paths', paths: ['email'] });
    expect(result.quality.connectionsJoinedMidStream).toBe(1);
  });

  test('without the port the server is found by the handshake and the first message; other protocols are skipped', async () => {
    const insert = msg({ insert: 'c', documents: [{}], $db: 'd' });
    const mongo = conversation([{ request: insert, reply: ok(insert) }], { server: ['10.0.0.9', 29999], client: ['10.0.0.8', 41000] });
    const midStream = conversation([{ request: msg({ ping: 1, $db: 'admin' }), reply: msg({ ok: 1 }, 5) }], { server: ['10.0.0.9', 29999], client: ['10.0.0.8', 41001], handshake: false });
    const http = conversation([{ request: Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(20000)), reply: Buffer.from('HTTP/1.1 200 OK\r\n\r\n') }], { server: ['10.0.0.9', 80], client: ['10.0.0.8', 41002], mss: 60000 });
    const { records, result } = await ingest(writePcap([...mongo, ...midStream, ...http]));
    expect(records.map((r) => [r.cmd, r.client])).toEqual([
      ['insert', '10.0.0.8:41000'],
      ['ping', '10.0.0.8:41001'],
    ]);
    expect(result.quality).toMatchObject({ connections: 2, otherConnections: 1, unpairedReplies: 1 });
    expect(result.quality.otherProtocolPackets).toBe(http.length);
  });

  test('a lost request segment: the gap is counted, the server’s reply stays unpaired, later operations are recorded', async () => {
    const a = msg({ find: 'c', filter: { big: 'x'.repeat(300) }, $db: 'd' });
    const b = msg({ ping: 1, $db: 'd' });
    const packets = conversation([{ request: a, reply: ok(a) }, { request: b, reply: ok(b) }], { mss: 100 });
    // Drop the second segment of the first request (packet 3 is the handshake's ACK).
    const lossy = packets.filter((_, i) => i !== 4);
    const { records, result } = await ingest(writePcap(lossy));
    expect(records.map((r) => r.cmd)).toEqual(['ping']);
    expect(result.quality).toMatchObject({ gaps: 1, lostBytes: 100, messagesLost: 1, unpairedReplies: 1, pairs: 1 });
  });

  test('a file that is no capture is MC_INGEST_INPUT; one cut short keeps what came before and says where', async () => {
    await expect(ingest(Buffer.from('definitely not a capture file'))).rejects.toMatchObject({ code: 'MC_INGEST_INPUT' });
    const { packets } = await shopConversation();
    const file = writePcap(packets);
    const { result, records } = await ingest(file.subarray(0, file.length - 30));
    expect(records.length).toBeGreaterThan(0);
    expect(result.inputCut).toMatchObject({ input: 'test.pcap', at: expect.stringMatching(/^byte \d+$/) });
  });
});

async function shopConversationOn(link: 'sll' | 'sll2' | 'null' | 'loop' | 'raw' | 'ethernet-vlan'): Promise<PacketIn[]> {
  const { packets } = await shopConversation();
  // Rewrite each frame's link layer: decode the Ethernet frame's IP packet and wrap it again.
  return packets.map((p) => {
    const ip = p.data.subarray(14, 14 + p.data.readUInt16BE(16));
    const src = [...ip.subarray(12, 16)].join('.');
    const dst = [...ip.subarray(16, 20)].join('.');
    const tcp = ip.subarray(20);
    const frame = tcpFrame(link, {
      src,
      dst,
      srcPort: tcp.readUInt16BE(0),
      dstPort: tcp.readUInt16BE(2),
      seq: tcp.readUInt32BE(4),
      ack: tcp.readUInt32BE(8),
      flags: tcp[13]!,
      payload: tcp.subarray(20),
    });
    return { linkType: { sll: 113, sll2: 276, null: 0, loop: 108, raw: 101, 'ethernet-vlan': 1 }[link], tsUs: p.tsUs, data: frame };
  });
}
