import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { BSON, type Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { epochMicros } from '../../../../harness/capture/proxy/clock.ts';
import { InlineRecording, type RecordingPipe } from '../../../../harness/capture/proxy/recording.ts';
import { ProxySession, type SessionContext, type SessionSocket } from '../../../../harness/capture/proxy/session.ts';
import { buildOpMsg, MSG_FLAGS } from '../../../../harness/wire/index.ts';
import { MemorySink } from '../../../helpers/memory-sink.ts';
import { messageBytesArb } from '../../../helpers/wire-arbitraries.ts';

/*
 * One proxied connection without a network: stand-in sockets on both sides, bytes
 * pushed in chunks cut anywhere. What is forwarded, and what the recording receives.
 */

class StandInSocket extends EventEmitter implements SessionSocket {
  readonly written: Buffer[] = [];
  paused = false;
  destroyed = false;

  write(chunk: Buffer): boolean {
    this.written.push(Buffer.from(chunk)); // a copy, as the kernel's would be
    return true;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  cork(): void {}
  uncork(): void {}
  destroy(): this {
    this.destroyed = true;
    return this;
  }
  get bytes(): Buffer {
    return Buffer.concat(this.written);
  }
}

interface Handed {
  isRequest: boolean;
  bytes: Buffer;
  startUs: number;
  endUs: number;
}

/** A recording pipe that keeps what it is handed. */
class KeepingPipe implements RecordingPipe {
  readonly handed: Handed[] = [];
  readonly events: string[] = [];
  recorded = 0;
  dropped = 0;
  parseErrors = 0;
  authSkipped = 0;
  open(session: number, id: string, client: string): void {
    this.events.push(`open ${session} ${id} ${client}`);
  }
  message(_session: number, isRequest: boolean, bytes: Buffer, startUs: number, endUs: number): void {
    this.handed.push({ isRequest, bytes: Buffer.from(bytes), startUs, endUs });
  }
  close(session: number): void {
    this.events.push(`close ${session}`);
  }
  async finish(): Promise<void> {}
}

const bson = (d: Document) => Buffer.from(BSON.serialize(d));
const i32 = (n: number) => new BSON.Int32(n);
function msg(requestId: number, body: Document, options: { responseTo?: number; flags?: number } = {}): Buffer {
  return Buffer.concat(buildOpMsg({ requestId, responseTo: options.responseTo ?? 0, flags: options.flags ?? 0, sections: [{ kind: 0, body: bson(body) }] }));
}

function sessionWith(recording: RecordingPipe, hostMap: ReadonlyMap<string, string> = new Map()) {
  const client = new StandInSocket();
  const upstream = new StandInSocket();
  const logs: string[] = [];
  const bytes = { fromClient: 0, fromUpstream: 0 };
  let closed = 0;
  const ctx: SessionContext = { hostMap, recording, log: (l) => void logs.push(l) };
  const session = new ProxySession(ctx, 3, 'p1:3', '10.0.0.5:50000', client, upstream, () => void closed++, (c, u) => {
    bytes.fromClient += c;
    bytes.fromUpstream += u;
  });
  return { session, client, upstream, logs, bytes, closed: () => closed };
}

/** `bytes` cut at the given points (each taken modulo the length). */
function cut(bytes: Buffer, at: readonly number[]): Buffer[] {
  const points = [...new Set(at.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) chunks.push(bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  return chunks;
}

/** Whole messages of a byte stream, by their length prefix. */
function split(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += bytes.readInt32LE(at)) out.push(bytes.subarray(at, at + bytes.readInt32LE(at)));
  return out;
}

/** Waits (without sleeping) until the clock has moved, so two pushes carry different times. */
function tick(): number {
  const t = epochMicros();
  let now = t;
  while (now === t) now = epochMicros();
  return now;
}

describe('ProxySession: forwarding and framing', () => {
  it('forwards every byte as it arrives and hands the recording each whole message once, however the streams are cut', () => {
    fc.assert(
      fc.property(
        fc.array(messageBytesArb, { minLength: 1, maxLength: 5 }),
        fc.array(messageBytesArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (requests, replies, at) => {
          const pipe = new KeepingPipe();
          const { client, upstream, bytes } = sessionWith(pipe);
          const up = Buffer.concat(requests);
          const down = Buffer.concat(replies);
          for (const chunk of cut(up, at)) {
            client.emit('data', chunk);
            // Forward first: the chunk is upstream before any message is whole.
            expect(upstream.bytes.equals(up.subarray(0, upstream.bytes.length))).toBe(true);
          }
          for (const chunk of cut(down, at)) upstream.emit('data', chunk);
          expect(upstream.bytes.equals(up)).toBe(true);
          expect(client.bytes.equals(down)).toBe(true);
          expect(pipe.handed.filter((h) => h.isRequest).map((h) => h.bytes)).toEqual(requests);
          expect(pipe.handed.filter((h) => !h.isRequest).map((h) => h.bytes)).toEqual(replies);
          expect(bytes).toEqual({ fromClient: up.length, fromUpstream: down.length });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('forwards a reply chunk by chunk before it is whole when no hello is outstanding', () => {
    const pipe = new KeepingPipe();
    const { client, upstream } = sessionWith(pipe, new Map([['db1:27017', '127.0.0.1:9001']]));
    client.emit('data', msg(1, { find: 'a', $db: 'd' }));
    const reply = msg(2, { ok: 1, cursor: { id: BSON.Long.ZERO, ns: 'd.a', firstBatch: [] } }, { responseTo: 1 });
    upstream.emit('data', reply.subarray(0, 10));
    expect(client.bytes).toEqual(reply.subarray(0, 10));
    expect(pipe.handed.filter((h) => !h.isRequest)).toEqual([]);
    upstream.emit('data', reply.subarray(10));
    expect(client.bytes).toEqual(reply);
    expect(pipe.handed.at(-1)!.bytes).toEqual(reply);
  });

  it('stamps a message cut across chunks with the time of its first byte, and a reply ends at its last', () => {
    const pipe = new KeepingPipe();
    const { client, upstream } = sessionWith(pipe);
    const request = msg(1, { find: 'a', $db: 'd' });
    const before = epochMicros();
    client.emit('data', request.subarray(0, 3));
    const second = tick();
    client.emit('data', request.subarray(3));
    const reply = msg(2, { ok: 1 }, { responseTo: 1 });
    const replyStart = tick();
    upstream.emit('data', reply.subarray(0, 20));
    const replyLast = tick();
    upstream.emit('data', reply.subarray(20));
    const [req, rep] = pipe.handed;
    expect(req!.startUs).toBeGreaterThanOrEqual(before);
    expect(req!.startUs).toBeLessThan(second);
    expect(req!.endUs).toBe(req!.startUs);
    expect(rep!.startUs).toBeGreaterThanOrEqual(replyStart);
    expect(rep!.startUs).toBeLessThan(replyLast);
    expect(rep!.endUs).toBeGreaterThanOrEqual(replyLast);
  });

  it('pauses the other side when a socket is full and resumes it on drain', () => {
    const pipe = new KeepingPipe();
    const { client, upstream } = sessionWith(pipe);
    upstream.write = (chunk: Buffer) => (upstream.written.push(Buffer.from(chunk)), false);
    client.emit('data', msg(1, { ping: 1, $db: 'admin' }));
    expect(client.paused).toBe(true);
    upstream.emit('drain');
    expect(client.paused).toBe(false);
  });
});

describe('ProxySession: hello replies behind the proxy', () => {
  const hostMap = new Map([['db1:27017', '127.0.0.1:9001']]);
  const helloReply = (requestId: number, responseTo: number, flags = 0) =>
    msg(requestId, { isWritablePrimary: true, hosts: ['db1:27017', 'db2:27017'], primary: 'db1:27017', me: 'db1:27017', ok: 1 }, { responseTo, flags });

  it('holds a hello reply until it is whole, forwards it with member addresses rewritten, and records what the server said', () => {
    const pipe = new KeepingPipe();
    const { client, upstream } = sessionWith(pipe, hostMap);
    client.emit('data', msg(5, { hello: 1, $db: 'admin' }));
    const reply = helloReply(6, 5);
    upstream.emit('data', reply.subarray(0, 30));
    expect(client.written).toEqual([]); // held: it may need rewriting
    upstream.emit('data', reply.subarray(30));
    const seen = BSON.deserialize(client.bytes.subarray(21));
    expect(seen).toMatchObject({ hosts: ['127.0.0.1:9001', 'db2:27017'], primary: '127.0.0.1:9001', me: '127.0.0.1:9001' });
    expect(client.bytes.readInt32LE(8)).toBe(5); // still the answer to the hello
    expect(pipe.handed.at(-1)!.bytes).toEqual(reply);
  });

  it('never sends a byte twice or drops one when a hello arrives while a reply is half forwarded', () => {
    const pipe = new KeepingPipe();
    const { client, upstream } = sessionWith(pipe, hostMap);
    client.emit('data', msg(1, { find: 'a', $db: 'd' }));
    const first = msg(2, { ok: 1, cursor: { id: BSON.Long.ZERO, ns: 'd.a', firstBatch: [{ x: i32(1) }] } }, { responseTo: 1 });
    upstream.emit('data', first.subarray(0, 25)); // forwarded at once
    client.emit('data', msg(3, { hello: 1, $db: 'admin' }));
    const hello = helloReply(4, 3);
    upstream.emit('data', Buffer.concat([first.subarray(25), hello.subarray(0, 10)]));
    upstream.emit('data', hello.subarray(10));
    const out = client.bytes;
    expect(out.subarray(0, first.length)).toEqual(first);
    const rewritten = BSON.deserialize(out.subarray(first.length + 21));
    expect(rewritten.hosts).toEqual(['127.0.0.1:9001', 'db2:27017']);
    expect(out.readInt32LE(first.length)).toBe(out.length - first.length); // one whole message after the first
    expect(pipe.handed.filter((h) => !h.isRequest).map((h) => h.bytes)).toEqual([first, hello]);
  });

  it('follows an exhaust hello from reply to reply, and stops holding after its last', () => {
    const pipe = new KeepingPipe();
    const { client, upstream } = sessionWith(pipe, hostMap);
    client.emit('data', msg(10, { hello: 1, $db: 'admin' }, { flags: MSG_FLAGS.EXHAUST_ALLOWED }));
    upstream.emit('data', helloReply(11, 10, MSG_FLAGS.MORE_TO_COME));
    upstream.emit('data', helloReply(12, 11));
    const [first, second] = split(client.bytes);
    expect(BSON.deserialize(first!.subarray(21)).primary).toBe('127.0.0.1:9001');
    expect(first!.readUInt32LE(16) & MSG_FLAGS.MORE_TO_COME).toBe(MSG_FLAGS.MORE_TO_COME);
    expect(BSON.deserialize(second!.subarray(21)).primary).toBe('127.0.0.1:9001');
    // No hello outstanding any more: a reply goes out as its first chunk arrives.
    client.emit('data', msg(13, { ping: 1, $db: 'admin' }));
    const pong = msg(14, { ok: 1 }, { responseTo: 13 });
    upstream.emit('data', pong.subarray(0, 5));
    expect(client.bytes.subarray(-5)).toEqual(pong.subarray(0, 5));
  });

  it('does not wait for a reply to a hello sent with moreToCome', () => {
    const pipe = new KeepingPipe();
    const { client, upstream } = sessionWith(pipe, hostMap);
    client.emit('data', msg(20, { hello: 1, $db: 'admin' }, { flags: MSG_FLAGS.MORE_TO_COME }));
    const other = msg(21, { ok: 1 }, { responseTo: 99 });
    upstream.emit('data', other.subarray(0, 5));
    expect(client.bytes).toEqual(other.subarray(0, 5));
  });
});

describe('ProxySession: ends', () => {
  it('closes both sides with one logged reason when the client stream is not MongoDB wire protocol', () => {
    const pipe = new KeepingPipe();
    const { client, upstream, logs, closed } = sessionWith(pipe);
    client.emit('data', Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect(client.destroyed && upstream.destroyed).toBe(true);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/p1:3 \(10\.0\.0\.5:50000\) closed: undecodable request stream: message length/);
    expect(pipe.events).toEqual(['open 3 p1:3 10.0.0.5:50000', 'close 3']);
    expect(closed()).toBe(1);
    client.emit('close');
    upstream.emit('close');
    expect(closed()).toBe(1); // once
  });

  it('says how many bytes of a request were dropped when the client left mid-request', () => {
    const pipe = new KeepingPipe();
    const { client, logs } = sessionWith(pipe);
    client.emit('data', msg(1, { ping: 1, $db: 'admin' }).subarray(0, 12));
    client.emit('close');
    expect(logs).toEqual(['proxy p1:3: client left mid-request (12 bytes unsent upstream are dropped)']);
  });
});

describe('ProxySession into the recording: the records a byte stream pairs into', () => {
  it('records a request and reply cut across chunks as one operation, an exhaust stream as one, and no auth conversation', async () => {
    const sink = new MemorySink();
    const recording = new InlineRecording(sink, { replyMode: 'full', redaction: { mode: 'none' } }, () => undefined);
    const { client, upstream, session } = sessionWith(recording);
    const payload = new BSON.Binary(Buffer.from('n,,n=user,r=secret'));
    const up = Buffer.concat([
      msg(1, { hello: 1, client: { application: { name: 'shop' } }, $db: 'admin' }),
      msg(2, { saslStart: 1, mechanism: 'SCRAM-SHA-256', payload, $db: 'admin' }),
      msg(3, { find: 'orders', filter: {}, $db: 'shop' }),
      msg(4, { getMore: BSON.Long.fromNumber(77), collection: 'orders', $db: 'shop' }, { flags: MSG_FLAGS.EXHAUST_ALLOWED }),
    ]);
    const down = [
      msg(101, { isWritablePrimary: true, ok: 1 }, { responseTo: 1 }),
      msg(102, { conversationId: i32(1), payload, done: true, ok: 1 }, { responseTo: 2 }),
      msg(103, { cursor: { id: BSON.Long.fromNumber(77), ns: 'shop.orders', firstBatch: [{ _id: i32(1) }] }, ok: 1 }, { responseTo: 3 }),
      msg(104, { cursor: { id: BSON.Long.fromNumber(77), ns: 'shop.orders', nextBatch: [{ _id: i32(2) }] }, ok: 1 }, { responseTo: 4, flags: MSG_FLAGS.MORE_TO_COME }),
      msg(105, { cursor: { id: BSON.Long.ZERO, ns: 'shop.orders', nextBatch: [{ _id: i32(3) }] }, ok: 1 }, { responseTo: 104 }),
      // A reply to no request of this connection.
      msg(106, { ok: 1 }, { responseTo: 555 }),
    ];
    for (const chunk of cut(up, [7, 50, 51, 130])) client.emit('data', chunk);
    for (const chunk of cut(Buffer.concat(down), [3, 90, 200, 260])) upstream.emit('data', chunk);
    session.close('test over');
    await recording.finish();
    expect(sink.records.map((r) => [r.cmd, r.app, r.wire?.replies ?? 1])).toEqual([
      ['hello', 'shop', 1],
      ['find', 'shop', 1],
      ['getMore', 'shop', 2],
    ]);
    expect(sink.records[2]!.reply).toMatchObject({ mode: 'full', doc: { cursor: { nextBatch: [{ _id: i32(3) }] } } });
    expect(recording.authSkipped).toBe(1);
    expect(recording.recorded).toBe(3);
    expect(JSON.stringify(sink.records)).not.toContain('secret');
  });
});
