import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { BSON, type Document } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplayNetworkError } from '../../../harness/errors.ts';
import { WirePool } from '../../../harness/replay/wire-pool.ts';
import { bsonElement, buildOpMsg, MessageFramer, parseMessage, type OpMsg } from '../../../harness/wire/index.ts';

/**
 * The wire pool writes the requests made in one event-loop turn together, after the
 * turn's I/O callbacks (wire-pool.ts). An in-process OP_MSG peer on 127.0.0.1 answers
 * the handshake and echoes each request's `i` back.
 */
interface Peer {
  readonly port: number;
  /** Requests other than handshakes, with when they arrived (performance.now()). */
  readonly requests: { body: Document; at: number }[];
  close(): Promise<void>;
}

function reply(socket: Socket, to: OpMsg, body: Document): void {
  socket.write(Buffer.concat(buildOpMsg({ requestId: 1, responseTo: to.header.requestId, sections: [{ kind: 0, body: Buffer.from(BSON.serialize(body)) }] })));
}

async function startPeer(): Promise<Peer> {
  const sockets = new Set<Socket>();
  const requests: Peer['requests'] = [];
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const framer = new MessageFramer();
    socket.on('data', (chunk: Buffer) => {
      framer.push(chunk, 0, (m) => {
        const msg = parseMessage(Buffer.from(m)) as OpMsg;
        const first = msg.sections[0]!;
        const body = first.kind === 0 ? BSON.deserialize(first.body) : {};
        if (body.isMaster !== undefined) return reply(socket, msg, { ismaster: true, ok: 1 });
        requests.push({ body, at: performance.now() });
        reply(socket, msg, { i: body.i as number, ok: 1 });
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(maxPoolSize: number, batchWrites = true): Promise<{ peer: Peer; pool: WirePool }> {
  const peer = await startPeer();
  cleanup.push(() => peer.close());
  const pool = new WirePool({ host: '127.0.0.1', port: peer.port, maxPoolSize, connectTimeoutMs: 2_000, opTimeoutMs: 2_000, appName: 'test', batchWrites });
  cleanup.push(() => pool.close());
  await pool.warm(maxPoolSize);
  return { peer, pool };
}

const DB = bsonElement('$db', 'test');

describe('WirePool with batchWrites writes a turn’s requests together', () => {
  it('answers concurrent requests on several connections, each with the time its request was written', async () => {
    const { peer, pool } = await setup(4);
    const calledAt = performance.now();
    const timings = Array.from({ length: 12 }, () => ({ sentAt: 0 }));
    const bodies = await Promise.all(timings.map((t, i) => pool.commandRaw(BSON.serialize({ ping: 1, i }), [DB], t)));
    const endAt = performance.now();
    expect(bodies.map((b) => BSON.deserialize(b).i as number)).toEqual(timings.map((_, i) => i));
    expect(peer.requests).toHaveLength(12);
    for (const t of timings) {
      expect(t.sentAt).toBeGreaterThanOrEqual(calledAt);
      expect(t.sentAt).toBeLessThanOrEqual(endAt);
    }
    // Each request reached the peer after it was written.
    const firstWrite = Math.min(...timings.map((t) => t.sentAt));
    for (const r of peer.requests) expect(r.at).toBeGreaterThanOrEqual(firstWrite);
  });

  it('takes sentAt when the request is written, not when it is made', async () => {
    const { pool } = await setup(1);
    const timing = { sentAt: 0 };
    const madeAt = performance.now();
    const p = pool.commandRaw(BSON.serialize({ ping: 1, i: 7 }), [DB], timing);
    // Work after the request was made holds the write back: that wait is not the command's latency.
    const until = madeAt + 20;
    while (performance.now() < until);
    const body = await p;
    expect(BSON.deserialize(body).i).toBe(7);
    expect(timing.sentAt).toBeGreaterThanOrEqual(until);
  });

  it('keeps the first write time in a timing shared by the requests of one operation', async () => {
    const { pool } = await setup(2);
    const shared = { sentAt: 0 };
    const first = pool.commandRaw(BSON.serialize({ ping: 1, i: 1 }), [DB], shared);
    // After this turn's flush.
    await new Promise((r) => setTimeout(r, 1));
    const writtenFirst = shared.sentAt;
    expect(writtenFirst).toBeGreaterThan(0);
    // A second request written a turn later does not move it.
    await new Promise((r) => setTimeout(r, 5));
    await Promise.all([first, pool.commandRaw(BSON.serialize({ ping: 1, i: 2 }), [DB], shared)]);
    expect(shared.sentAt).toBe(writtenFirst);
  });

  it('without batchWrites writes each request as it is made, before the turn ends', async () => {
    const { peer, pool } = await setup(1, false);
    // Runs at the turn's end, after the request was made: it was written already.
    setImmediate(() => pool.close());
    await pool.commandRaw(BSON.serialize({ ping: 1, i: 3 }), [DB]).catch(() => undefined);
    for (let i = 0; i < 50 && peer.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(peer.requests.map((r) => r.body.i as number)).toEqual([3]);
  });

  it('does not write a request whose connection closed before the turn ended, and rejects it as not sent', async () => {
    const { peer, pool } = await setup(1);
    // Runs before the pool's flush: both are immediates, this one queued first.
    setImmediate(() => pool.close());
    const err = await pool.commandRaw(BSON.serialize({ ping: 1, i: 1 }), [DB]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReplayNetworkError);
    expect((err as ReplayNetworkError).sent).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(peer.requests).toHaveLength(0);
  });
});
