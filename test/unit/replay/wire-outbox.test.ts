import { BSON, type Document } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplayNetworkError } from '../../../harness/errors.ts';
import { WirePool } from '../../../harness/replay/wire-pool.ts';
import { bsonElement } from '../../../harness/wire/index.ts';
import { reply, startPeer, type Peer } from '../../helpers/wire-peer.ts';

/**
 * The wire pool writes the requests made in one event-loop turn together, after the
 * turn's I/O callbacks (wire-pool.ts). An in-process OP_MSG peer on 127.0.0.1 (no
 * database) answers the handshake and echoes each request's `i` back.
 */
/** The wire peer (test/helpers/wire-peer.ts), noting when each request arrived and echoing its `i`. */
type EchoPeer = Peer & { arrivals: { body: Document; at: number }[] };

async function startEchoPeer(): Promise<EchoPeer> {
  const peer = Object.assign(await startPeer(), { arrivals: [] as { body: Document; at: number }[] });
  peer.onRequest = (msg, socket) => {
    const first = msg.sections[0]!;
    const body = first.kind === 0 ? BSON.deserialize(first.body) : {};
    peer.arrivals.push({ body, at: performance.now() });
    reply(socket, msg, { i: body.i as number, ok: 1 });
  };
  return peer;
}

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(maxPoolSize: number, batchWrites = true): Promise<{ peer: EchoPeer; pool: WirePool }> {
  const peer = await startEchoPeer();
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
    expect(peer.arrivals).toHaveLength(12);
    for (const t of timings) {
      expect(t.sentAt).toBeGreaterThanOrEqual(calledAt);
      expect(t.sentAt).toBeLessThanOrEqual(endAt);
    }
    // Each request reached the peer after it was written.
    const firstWrite = Math.min(...timings.map((t) => t.sentAt));
    for (const r of peer.arrivals) expect(r.at).toBeGreaterThanOrEqual(firstWrite);
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
    for (let i = 0; i < 50 && peer.arrivals.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(peer.arrivals.map((r) => r.body.i as number)).toEqual([3]);
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
    expect(peer.arrivals).toHaveLength(0);
  });
});
