import { BSON } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplayNetworkError, ReplayTimeoutError, WireProtocolError } from '../../../harness/errors.ts';
import { WirePool, type WirePoolOptions } from '../../../harness/replay/wire-pool.ts';
import { bsonElement } from '../../../harness/wire/index.ts';
import { reply, startPeer, type Peer } from '../../helpers/wire-peer.ts';

const pools: WirePool[] = [];
const peers: Peer[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) p.close();
  for (const p of peers.splice(0)) await p.close();
});

async function setup(options: Partial<WirePoolOptions> = {}): Promise<{ peer: Peer; pool: WirePool }> {
  const peer = await startPeer();
  peers.push(peer);
  const pool = new WirePool({ host: '127.0.0.1', port: peer.port, maxPoolSize: 2, connectTimeoutMs: 2_000, opTimeoutMs: 2_000, appName: 'test', ...options });
  pools.push(pool);
  return { peer, pool };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('resolved, a rejection was expected');
    },
    (err: unknown) => err,
  );
}

describe('WirePool', () => {
  it('sends the command as one OP_MSG with $db and lsid appended, and resolves with the reply in BSON number types', async () => {
    const { peer, pool } = await setup();
    peer.onRequest = (msg, socket) => reply(socket, msg, { n: new BSON.Int32(3), big: BSON.Long.fromNumber(5), ok: new BSON.Double(1) });
    const lsid = { id: new BSON.Binary(Buffer.alloc(16, 7), 4) };
    const command = { find: 'items', filter: { k: new BSON.Int32(1) } };
    const answer = await pool.commandWith(BSON.serialize(command), [bsonElement('$db', 'shop'), bsonElement('lsid', lsid)]);
    expect(answer.n).toBeInstanceOf(BSON.Int32);
    expect(answer.big).toBeInstanceOf(BSON.Long);
    expect(answer.ok).toBeInstanceOf(BSON.Double);
    const [sent] = peer.requests;
    expect(sent!.flags).toBe(0);
    expect(sent!.sections).toEqual([{ kind: 0, body: Buffer.from(BSON.serialize({ ...command, $db: 'shop', lsid })) }]);
  });

  it('fails a refused connection with MC_REPLAY_NETWORK, naming the address, as not sent', async () => {
    const { peer, pool } = await setup();
    await peer.close();
    peers.length = 0;
    const err = await rejection(pool.command({ ping: 1, $db: 'admin' }));
    expect(err).toBeInstanceOf(ReplayNetworkError);
    expect((err as ReplayNetworkError).code).toBe('MC_REPLAY_NETWORK');
    expect((err as ReplayNetworkError).sent).toBe(false);
    expect((err as Error).message).toContain(`127.0.0.1:${peer.port}`);
  });

  it('fails a connection closed mid-reply with MC_REPLAY_NETWORK, as possibly sent', async () => {
    const { peer, pool } = await setup();
    peer.onRequest = (_msg, socket) => {
      socket.write(Buffer.from([200, 0, 0, 0, 1, 2, 3]));
      socket.destroy();
    };
    const err = await rejection(pool.command({ ping: 1, $db: 'admin' }));
    expect(err).toBeInstanceOf(ReplayNetworkError);
    expect((err as ReplayNetworkError).sent).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${peer.port}: `));
  });

  it('fails a reply that is not a wire message with MC_REPLAY_NETWORK caused by the codec error', async () => {
    const { peer, pool } = await setup();
    peer.onRequest = (_msg, socket) => socket.write(Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]));
    const err = await rejection(pool.command({ ping: 1, $db: 'admin' }));
    expect(err).toBeInstanceOf(ReplayNetworkError);
    expect((err as ReplayNetworkError).sent).toBe(true);
    expect((err as Error).cause).toBeInstanceOf(WireProtocolError);
  });

  it('ends a command without a reply with MC_REPLAY_TIMEOUT, and the next command gets a fresh connection', async () => {
    const { peer, pool } = await setup({ opTimeoutMs: 100 });
    const silent = peer.onRequest;
    peer.onRequest = () => undefined;
    const started = performance.now();
    const err = await rejection(pool.command({ ping: 1, $db: 'admin' }));
    expect(err).toBeInstanceOf(ReplayTimeoutError);
    expect((err as ReplayTimeoutError).code).toBe('MC_REPLAY_TIMEOUT');
    expect((err as Error).message).toBe(`127.0.0.1:${peer.port}: no reply within 100 ms`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    peer.onRequest = silent;
    expect(await pool.command({ ping: 1, $db: 'admin' })).toEqual({ ok: new BSON.Int32(1) });
  });

  it('fails a handshake that gets no reply as a network error, not sent, instead of waiting forever', async () => {
    const { peer, pool } = await setup({ connectTimeoutMs: 100 });
    peer.handshake = null;
    const err = await rejection(pool.command({ ping: 1, $db: 'admin' }));
    expect(err).toBeInstanceOf(ReplayNetworkError);
    expect((err as ReplayNetworkError).sent).toBe(false);
    expect((err as Error).message).toMatch(/no reply within 100 ms to the handshake/);
    expect(peer.requests).toHaveLength(0);
  });

  it('fails a refused handshake as a network error, not sent, with the server message', async () => {
    const { peer, pool } = await setup();
    peer.handshake = { ok: 0, errmsg: 'no entry' };
    const err = await rejection(pool.command({ ping: 1, $db: 'admin' }));
    expect(err).toBeInstanceOf(ReplayNetworkError);
    expect((err as ReplayNetworkError).sent).toBe(false);
    expect((err as Error).message).toBe(`127.0.0.1:${peer.port}: handshake refused: no entry`);
  });

  it('fails commands on a closed pool at once, as not sent', async () => {
    const { pool } = await setup();
    pool.close();
    const err = await rejection(pool.command({ ping: 1, $db: 'admin' }));
    expect(err).toBeInstanceOf(ReplayNetworkError);
    expect((err as ReplayNetworkError).sent).toBe(false);
    expect((err as Error).message).toMatch(/pool closed$/);
  });
});
