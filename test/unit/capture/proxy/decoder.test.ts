import { BSON, type Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { OperationRecord } from '../../../../harness/model/record.ts';
import { SessionDecoder, type DecoderContext } from '../../../../harness/capture/proxy/decoder.ts';
import type { ReplyMode } from '../../../../harness/capture/proxy/reply-summary.ts';
import { buildLegacy, buildOpMsg, compressMessage, MSG_FLAGS, OP_CODES, type CompressorName } from '../../../../harness/wire/index.ts';

/*
 * The recording half of a proxied connection, fed real framed messages built with the
 * wire codec: what records come out, and when.
 */

const bson = (d: Document) => Buffer.from(BSON.serialize(d));
const i32 = (n: number) => new BSON.Int32(n);

/** An OP_MSG with one body section. */
function msg(requestId: number, body: Document, options: { responseTo?: number; flags?: number } = {}): Buffer {
  return Buffer.concat(buildOpMsg({ requestId, responseTo: options.responseTo ?? 0, flags: options.flags ?? 0, sections: [{ kind: 0, body: bson(body) }] }));
}

function opQuery(requestId: number, ns: string, query: Document): Buffer {
  return Buffer.concat(buildLegacy({ requestId, opCode: OP_CODES.OP_QUERY, flags: 0, fullCollectionName: ns, numberToSkip: 0, numberToReturn: -1, query: bson(query) }));
}

function opReply(requestId: number, responseTo: number, documents: Document[], cursorId = 0n): Buffer {
  return Buffer.concat(buildLegacy({ requestId, responseTo, opCode: OP_CODES.OP_REPLY, responseFlags: 0, cursorId, startingFrom: 0, documents: documents.map(bson) }));
}

const ok = (extra: Document = {}): Document => ({ ...extra, ok: new BSON.Double(1) });

function decoderFor(options: { replyMode?: ReplyMode; app?: string } = {}) {
  const records: OperationRecord[] = [];
  const counters = { parseErrors: 0, authSkipped: 0 };
  const logs: string[] = [];
  let seq = 0;
  const ctx: DecoderContext = {
    ...(options.app !== undefined ? { app: options.app } : {}),
    replyMode: options.replyMode ?? 'full',
    redact: () => undefined,
    nextSeq: () => seq++,
    emit: (r) => void records.push(r),
    onParseError: () => void counters.parseErrors++,
    onAuthSkipped: () => void counters.authSkipped++,
    log: (l) => void logs.push(l),
  };
  return { decoder: new SessionDecoder(ctx, 'p1:7', '10.0.0.5:50000'), records, counters, logs };
}

describe('SessionDecoder: request/reply pairing', () => {
  it('pairs an OP_MSG request with the reply whose responseTo is its requestID', () => {
    const { decoder, records } = decoderFor();
    decoder.decode(msg(11, { find: 'items', filter: { k: i32(1) }, $db: 'shop' }), 1_000, true);
    expect(records).toEqual([]); // waits for its reply
    const reply = msg(90, ok({ cursor: { id: BSON.Long.ZERO, ns: 'shop.items', firstBatch: [{ k: i32(1) }] } }), { responseTo: 11 });
    decoder.decode(reply, 1_200, false, 1_450);
    expect(records).toHaveLength(1);
    const [r] = records;
    expect(r).toMatchObject({ seq: 0, t: 1_000, dur: 450, conn: 'p1:7', client: '10.0.0.5:50000', db: 'shop', coll: 'items', cmd: 'find', op: 'OP_MSG' });
    expect(r!.command).toEqual({ find: 'items', filter: { k: i32(1) }, $db: 'shop' });
    expect(r!.wire).toEqual({ requestId: 11 });
    expect(r!.replySize).toBe(reply.length);
    expect(r!.reply).toEqual({ mode: 'full', doc: ok({ cursor: { id: BSON.Long.ZERO, ns: 'shop.items', firstBatch: [{ k: i32(1) }] } }) });
    expect(r!.error).toBeUndefined();
  });

  it('pairs by responseTo, not by arrival order, when several requests wait', () => {
    const { decoder, records } = decoderFor();
    decoder.decode(msg(1, { ping: 1, $db: 'admin' }), 10, true);
    decoder.decode(msg(2, { count: 'a', $db: 'x' }), 20, true);
    decoder.decode(msg(101, ok({ n: i32(5) }), { responseTo: 2 }), 30, false);
    decoder.decode(msg(102, ok(), { responseTo: 1 }), 40, false);
    expect(records.map((r) => [r.cmd, r.seq, r.dur])).toEqual([
      ['count', 1, 10],
      ['ping', 0, 30],
    ]);
    expect(records[0]!.reply).toEqual({ mode: 'full', doc: ok({ n: i32(5) }) });
  });

  it('records nothing for a reply without a request, and pairs nothing twice', () => {
    const { decoder, records, counters } = decoderFor();
    decoder.decode(msg(50, ok(), { responseTo: 999 }), 10, false);
    decoder.decode(opReply(51, 998, [ok()]), 10, false);
    expect(records).toEqual([]);
    expect(counters.parseErrors).toBe(0);
    decoder.decode(msg(3, { ping: 1, $db: 'admin' }), 20, true);
    decoder.decode(msg(52, ok(), { responseTo: 3 }), 30, false);
    decoder.decode(msg(53, ok(), { responseTo: 3 }), 40, false); // a second answer to the same request
    expect(records).toHaveLength(1);
    expect(records[0]!.dur).toBe(10);
  });

  it('keeps an exhaust stream (moreToCome replies) as one operation whose key moves to each reply', () => {
    const { decoder, records } = decoderFor();
    const request = msg(7, { hello: 1, maxAwaitTimeMS: i32(10_000), topologyVersion: { counter: BSON.Long.ZERO }, $db: 'admin' }, { flags: MSG_FLAGS.EXHAUST_ALLOWED });
    decoder.decode(request, 100, true);
    const r1 = msg(200, ok({ isWritablePrimary: true, n: i32(1) }), { responseTo: 7, flags: MSG_FLAGS.MORE_TO_COME });
    const r2 = msg(201, ok({ isWritablePrimary: true, n: i32(2) }), { responseTo: 200, flags: MSG_FLAGS.MORE_TO_COME });
    const r3 = msg(202, ok({ isWritablePrimary: false, n: i32(3) }), { responseTo: 201 });
    decoder.decode(r1, 150, false);
    // A reply to the stream's first requestID again is not part of it any more.
    decoder.decode(msg(203, ok(), { responseTo: 7 }), 160, false);
    decoder.decode(r2, 170, false);
    expect(records).toEqual([]);
    decoder.decode(r3, 190, false, 199);
    expect(records).toHaveLength(1);
    const [r] = records;
    expect(r!.wire).toEqual({ requestId: 7, exhaustAllowed: true, replies: 3 });
    expect(r!.replySize).toBe(r1.length + r2.length + r3.length);
    expect(r!.dur).toBe(99);
    expect(r!.reply).toEqual({ mode: 'full', doc: ok({ isWritablePrimary: false, n: i32(3) }) });
    expect(decoder.gap()).toBe(0); // nothing left waiting
  });

  it('records a moreToCome request (w:0) at once, without a reply and not replayable', () => {
    const { decoder, records } = decoderFor();
    decoder.decode(msg(8, { insert: 'logs', documents: [{ a: i32(1) }], writeConcern: { w: i32(0) }, $db: 'app' }, { flags: MSG_FLAGS.MORE_TO_COME }), 500, true);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ cmd: 'insert', coll: 'logs', dur: null, notReplayable: 'unacknowledged-reply-missing', wire: { requestId: 8, moreToCome: true } });
    expect(records[0]!.reply).toBeUndefined();
  });

  it('pairs a legacy OP_QUERY command with its OP_REPLY, and takes the app name from the handshake', () => {
    const { decoder, records } = decoderFor();
    decoder.decode(opQuery(1, 'admin.$cmd', { isMaster: 1, client: { application: { name: 'billing' } } }), 10, true);
    decoder.decode(opReply(2, 1, [ok({ ismaster: true, maxWireVersion: i32(8) })]), 20, false);
    decoder.decode(msg(3, { find: 'invoices', $db: 'billing' }), 30, true);
    decoder.decode(msg(4, ok({ cursor: { id: BSON.Long.ZERO, ns: 'billing.invoices', firstBatch: [] } }), { responseTo: 3 }), 40, false);
    expect(records.map((r) => [r.op, r.cmd, r.db, r.app])).toEqual([
      ['OP_QUERY', 'isMaster', 'admin', 'billing'],
      ['OP_MSG', 'find', 'billing', 'billing'],
    ]);
    expect(records[0]!.reply).toEqual({ mode: 'full', doc: ok({ ismaster: true, maxWireVersion: i32(8) }) });
  });

  it('names the app from --app over the handshake', () => {
    const { decoder, records } = decoderFor({ app: 'given' });
    decoder.decode(msg(1, { hello: 1, client: { application: { name: 'metadata' } }, $db: 'admin' }), 10, true);
    decoder.decode(msg(2, ok(), { responseTo: 1 }), 20, false);
    expect(records[0]!.app).toBe('given');
  });

  it('keeps the error a reply reports', () => {
    const { decoder, records } = decoderFor();
    decoder.decode(msg(1, { insert: 'u', documents: [{ _id: i32(1) }], $db: 'app' }), 10, true);
    decoder.decode(msg(2, ok({ n: i32(0), writeErrors: [{ index: i32(0), code: i32(11000), errmsg: 'E11000 duplicate key' }] }), { responseTo: 1 }), 20, false);
    decoder.decode(msg(3, { find: 'u', $db: 'app' }), 30, true);
    decoder.decode(msg(4, { ok: new BSON.Double(0), code: i32(13), codeName: 'Unauthorized', errmsg: 'not allowed' }, { responseTo: 3 }), 40, false);
    expect(records.map((r) => r.error)).toEqual([
      { code: 11000, message: 'E11000 duplicate key' },
      { code: 13, codeName: 'Unauthorized', message: 'not allowed' },
    ]);
  });
});

describe('SessionDecoder: what is never recorded', () => {
  it('records no auth command nor its reply, and counts them', () => {
    const { decoder, records, counters } = decoderFor();
    const payload = new BSON.Binary(Buffer.from('n,,n=user,r=secret-nonce'));
    decoder.decode(msg(1, { saslStart: 1, mechanism: 'SCRAM-SHA-256', payload, $db: 'admin' }), 10, true);
    decoder.decode(msg(2, ok({ conversationId: i32(1), payload, done: false }), { responseTo: 1 }), 20, false);
    decoder.decode(msg(3, { saslContinue: 1, conversationId: i32(1), payload, $db: 'admin' }), 30, true);
    decoder.decode(msg(4, ok({ conversationId: i32(1), payload, done: true }), { responseTo: 3 }), 40, false);
    decoder.decode(opQuery(5, 'admin.$cmd', { authenticate: 1, user: 'u', key: 'k' }), 50, true);
    decoder.decode(opReply(6, 5, [ok()]), 60, false);
    expect(records).toEqual([]);
    expect(counters.authSkipped).toBe(3);
    // An auth request waiting for its reply is not an operation lost to a gap or recorded at close.
    decoder.decode(msg(7, { saslStart: 1, payload, $db: 'admin' }), 70, true);
    expect(decoder.gap()).toBe(0);
    decoder.decode(msg(8, { saslStart: 1, payload, $db: 'admin' }), 80, true);
    expect(decoder.close()).toBeUndefined();
    expect(records).toEqual([]);
  });

  it('strips the credential piggybacked on a hello and on its reply, and keeps the rest', () => {
    const { decoder, records } = decoderFor();
    const secret = new BSON.Binary(Buffer.from('n,,n=user,r=nonce'));
    decoder.decode(msg(1, { hello: 1, speculativeAuthenticate: { saslStart: 1, payload: secret }, $db: 'admin' }), 10, true);
    decoder.decode(msg(2, ok({ isWritablePrimary: true, speculativeAuthenticate: { payload: secret } }), { responseTo: 1 }), 20, false);
    expect(records[0]!.command).toEqual({ hello: i32(1), $db: 'admin' });
    expect(records[0]!.reply).toEqual({ mode: 'full', doc: ok({ isWritablePrimary: true }) });
  });
});

describe('SessionDecoder: reply modes', () => {
  const exchange = (mode: ReplyMode) => {
    const { decoder, records } = decoderFor({ replyMode: mode });
    decoder.decode(msg(1, { find: 'a', $db: 'd' }), 10, true);
    const body = ok({ cursor: { id: BSON.Long.ZERO, ns: 'd.a', firstBatch: [{ x: i32(1) }, { x: i32(2) }] } });
    decoder.decode(msg(2, body, { responseTo: 1 }), 20, false);
    return { record: records[0]!, body };
  };

  it('keeps a digest and the batch size with replyMode digest, and no reply with none', () => {
    const digest = exchange('digest').record;
    expect(digest.reply).toMatchObject({ mode: 'digest', count: 2 });
    expect((digest.reply as { hash: string }).hash).toMatch(/^[0-9a-f]{64}$/);
    // The digest is of the reply's BSON bytes: the same reply, the same digest.
    expect(exchange('digest').record.reply).toEqual(digest.reply);
    const none = exchange('none').record;
    expect(none.reply).toBeUndefined();
    expect(none.dur).toBe(10);
  });
});

describe('SessionDecoder: compression', () => {
  it.each(['zlib', 'snappy', 'zstd'] as CompressorName[])('unwraps %s OP_COMPRESSED requests and replies, in order with plain messages', async (compressor) => {
    const { decoder, records } = decoderFor();
    const [find, count, countReply] = await Promise.all([
      compressMessage(msg(1, { find: 'a', $db: 'd' }), compressor),
      compressMessage(msg(3, { count: 'b', $db: 'd' }), compressor),
      compressMessage(msg(4, ok({ n: i32(2) }), { responseTo: 3 }), compressor),
    ]);
    decoder.decode(find, 10, true);
    // A plain reply right behind a compressed request must still find it.
    decoder.decode(msg(2, ok({ n: i32(1) }), { responseTo: 1 }), 20, false);
    decoder.decode(count, 30, true);
    decoder.decode(countReply, 40, false);
    expect(records).toEqual([]); // decoding is under way off this call
    await decoder.close();
    expect(records.map((r) => [r.cmd, r.wire?.compressor, r.dur])).toEqual([
      ['find', compressor, 10],
      ['count', compressor, 10],
    ]);
    expect(records[1]!.reply).toEqual({ mode: 'full', doc: ok({ n: i32(2) }) });
  });

  it('records a compressed request that does not decompress as undecodable, and goes on with the next', async () => {
    const { decoder, records, counters } = decoderFor();
    const bad = await compressMessage(msg(1, { find: 'a', $db: 'd' }), 'zlib');
    bad.fill(0xff, 25); // the deflate stream
    decoder.decode(bad, 10, true);
    decoder.decode(msg(5, { ping: 1, $db: 'admin' }), 20, true);
    decoder.decode(msg(6, ok(), { responseTo: 5 }), 30, false);
    await decoder.close();
    expect(records.map((r) => [r.cmd, r.notReplayable])).toEqual([
      ['', 'parse-error'],
      ['ping', undefined],
    ]);
    expect(String(records[0]!.command.$parseError)).toMatch(/zlib/);
    expect(counters.parseErrors).toBe(1);
  });
});

describe('SessionDecoder: broken input, gaps and the end of a connection', () => {
  it('records an undecodable request as not replayable, and counts an undecodable reply', () => {
    const { decoder, records, counters } = decoderFor();
    const body = msg(1, { find: 'a', $db: 'd' });
    body.writeUInt32LE(1 << 5, 16); // an unknown required flag bit
    decoder.decode(body, 10, true);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ t: 10, dur: null, cmd: '', notReplayable: 'parse-error' });
    expect(String(records[0]!.command.$parseError)).toMatch(/flagBits/);
    decoder.decode(msg(2, { ping: 1, $db: 'admin' }), 20, true);
    const reply = msg(3, ok(), { responseTo: 2 });
    reply.writeInt32LE(999, 21); // its body's BSON length
    decoder.decode(reply, 30, false);
    expect(counters.parseErrors).toBe(2);
    expect(records).toHaveLength(1); // the ping still waits
  });

  it('records operations still waiting at close without a reply', () => {
    const { decoder, records } = decoderFor();
    decoder.decode(msg(1, { find: 'a', $db: 'd' }), 10, true);
    decoder.decode(msg(2, { count: 'b', $db: 'd' }), 20, true);
    expect(decoder.close()).toBeUndefined(); // nothing was decoding: done at once
    expect(records.map((r) => [r.cmd, r.dur, r.reply])).toEqual([
      ['find', null, undefined],
      ['count', null, undefined],
    ]);
  });

  it('drops and counts operations waiting when messages were lost, so a later reply pairs with nothing', () => {
    const { decoder, records } = decoderFor();
    decoder.decode(msg(1, { find: 'a', $db: 'd' }), 10, true);
    decoder.decode(msg(2, { hello: 1, $db: 'admin' }, { flags: MSG_FLAGS.EXHAUST_ALLOWED }), 20, true);
    decoder.decode(msg(3, ok(), { responseTo: 2, flags: MSG_FLAGS.MORE_TO_COME }), 25, false);
    expect(decoder.gap()).toBe(2);
    decoder.decode(msg(4, ok(), { responseTo: 1 }), 30, false);
    decoder.close();
    expect(records).toEqual([]);
  });
});
