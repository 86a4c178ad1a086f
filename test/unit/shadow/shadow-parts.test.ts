import { BSON } from 'mongodb';
import { describe, expect, test } from 'vitest';
import type { OperationRecord } from '../../../harness/model/record.ts';
import { compareOutcomes } from '../../../harness/compare/compare.ts';
import type { OperationOutcome } from '../../../harness/model/run/outcome.ts';
import { connectionDraw, RecordFeed } from '../../../harness/shadow/feed.ts';
import { MirrorGate } from '../../../harness/shadow/gate.ts';
import { ProductionTarget } from '../../../harness/shadow/production.ts';
import { CpuGovernor, type CpuTimes } from '../../../harness/shadow/governor.ts';
import { statusJson, type ShadowStatus } from '../../../harness/shadow/status.ts';
import type { LiveTarget, SendOptions, SendResult } from '../../../harness/replay/target.ts';
import { MemorySink } from '../../helpers/memory-sink.ts';
import { InlineRecording } from '../../../harness/capture/proxy/recording.ts';
import { buildOpMsg, compressMessage } from '../../../harness/wire/index.ts';

let seq = 0;
function rec(conn: string, command: BSON.Document, reply?: BSON.Document, extra: Partial<OperationRecord> = {}): OperationRecord {
  return {
    seq: seq++,
    t: 1_700_000_000_000_000,
    dur: 800,
    conn,
    db: 'shop',
    coll: 'items',
    cmd: Object.keys(command)[0]!,
    op: 'OP_MSG',
    command,
    ...(reply ? { reply: { mode: 'full', doc: reply } } : {}),
    ...extra,
  } as OperationRecord;
}

async function drain(feed: RecordFeed): Promise<OperationRecord[]> {
  const out: OperationRecord[] = [];
  await feed.close();
  for await (const r of feed) out.push(r);
  return out;
}

describe('RecordFeed', () => {
  test('connection sampling keeps whole connections, stably, near the asked share', async () => {
    const feed = new RecordFeed({ rate: 0.3, by: 'connection' }, 1_000_000);
    const conns = Array.from({ length: 2000 }, (_, i) => `p1:${i}`);
    for (const c of conns) for (let k = 0; k < 3; k++) feed.write(rec(c, { find: 'items', filter: { k } }));
    const kept = await drain(feed);
    const keptConns = new Set(kept.map((r) => r.conn));
    expect(kept.length).toBe(keptConns.size * 3);
    expect(keptConns.size / conns.length).toBeGreaterThan(0.25);
    expect(keptConns.size / conns.length).toBeLessThan(0.35);
    for (const c of keptConns) expect(connectionDraw(c)).toBeLessThan(0.3);
    expect(feed.status()).toMatchObject({ seen: 6000, queued: kept.length, dropped: { 'sampled-out': 6000 - kept.length } });
  });

  test('operation sampling: a getMore and killCursors follow their opener, whatever the draw', async () => {
    const draws = [0.9, 0.1, 0.1];
    const feed = new RecordFeed({ rate: 0.5, by: 'operation' }, 100, undefined, () => draws.shift() ?? 0.9);
    const cursor = (id: number) => ({ cursor: { id: BSON.Long.fromNumber(id), firstBatch: [], ns: 'shop.items' }, ok: 1 });
    feed.write(rec('c1', { find: 'items' }, cursor(11))); // drawn 0.9: out
    feed.write(rec('c1', { getMore: BSON.Long.fromNumber(11), collection: 'items' }, { cursor: { id: BSON.Long.fromNumber(11), nextBatch: [] }, ok: 1 }));
    feed.write(rec('c1', { find: 'items' }, cursor(12))); // drawn 0.1: in
    feed.write(rec('c1', { getMore: BSON.Long.fromNumber(12), collection: 'items' }, { cursor: { id: BSON.Long.fromNumber(12), nextBatch: [] }, ok: 1 }));
    feed.write(rec('c1', { killCursors: 'items', cursors: [BSON.Long.fromNumber(12)] }, { ok: 1 }));
    feed.write(rec('c1', { getMore: BSON.Long.fromNumber(12), collection: 'items' }, { ok: 0 }));
    feed.write(rec('c1', { insert: 'items', documents: [] }, { n: 0, ok: 1 })); // drawn 0.1: in
    const kept = await drain(feed);
    expect(kept.map((r) => r.cmd)).toEqual(['find', 'getMore', 'killCursors', 'insert']);
    expect(kept[0]!.reply).toEqual({ mode: 'full', doc: cursor(12) });
  });

  test('a full queue drops and counts; the record file gets every record; after close nothing more is queued', async () => {
    const tee = new MemorySink();
    const feed = new RecordFeed({ rate: 1, by: 'connection' }, 3, tee);
    for (let i = 0; i < 5; i++) feed.write(rec('c', { find: 'items', filter: { i } }));
    await feed.close();
    feed.write(rec('c', { find: 'items' }));
    const kept: OperationRecord[] = [];
    for await (const r of feed) kept.push(r);
    expect(kept).toHaveLength(3);
    expect(tee.records).toHaveLength(6);
    expect(feed.status().dropped).toEqual({ 'sampled-out': 0, 'host-busy': 0, 'mirror-cpu': 0, 'queue-full': 2, 'at-stop': 1 });
  });

  test('the queue is full too once its oldest record has waited too long: the mirror takes new work only as it catches up', async () => {
    let now = 1_000_000_000;
    const feed = new RecordFeed({ rate: 1, by: 'connection' }, 100, undefined, Math.random, () => undefined, 50, () => now);
    feed.write(rec('c', { ping: 1 }, undefined, { t: now }));
    now += 40_000; // 40 ms later
    expect(feed.admit('c')).toBe(true);
    now += 20_000; // the oldest has waited 60 ms
    expect(feed.admit('c')).toBe(false);
    feed.write(rec('c', { ping: 2 }, undefined, { t: now }));
    const it = feed[Symbol.asyncIterator]();
    expect((await it.next()).value?.command).toEqual({ ping: 1 });
    expect(feed.admit('c')).toBe(true); // caught up: empty again
    expect(feed.status().dropped['queue-full']).toBe(2);
  });

  test('closing with discard drops what still waits, counted at-stop', async () => {
    const feed = new RecordFeed({ rate: 1, by: 'connection' }, 10);
    for (let i = 0; i < 4; i++) feed.write(rec('c', { ping: i }));
    const it = feed[Symbol.asyncIterator]();
    expect((await it.next()).value?.command).toEqual({ ping: 0 });
    await feed.close(true);
    expect((await it.next()).done).toBe(true);
    expect(feed.status()).toMatchObject({ queued: 4, waiting: 0, dropped: { 'at-stop': 3 } });
  });

  test('what the feed would drop is not decoded at all: counted before decoding, its reply never read; handshakes always decoded', async () => {
    let busy = false;
    const feed = new RecordFeed({ rate: 0.5, by: 'connection' }, 10, undefined, Math.random, () => (busy ? 'host-busy' : undefined));
    const pipe = new InlineRecording(feed, { replyMode: 'full', redaction: { mode: 'none' }, admit: (conn) => feed.admit(conn) }, () => undefined);
    const msg = (id: number, body: BSON.Document, responseTo = 0) => Buffer.concat(buildOpMsg({ requestId: id, responseTo, sections: [{ kind: 0, body: Buffer.from(BSON.serialize(body)) }] }));
    // A reply that is not BSON: decoding it would count a parse error.
    const badReply = (responseTo: number) => {
      const m = msg(900 + responseTo, { ok: 1 }, responseTo);
      m.writeInt32LE(9999, 21);
      return m;
    };
    const conns = Array.from({ length: 40 }, (_, i) => `p1:${i}`);
    const outConn = conns.find((c) => connectionDraw(c) >= 0.5)!;
    const inConn = conns.find((c) => connectionDraw(c) < 0.5)!;
    pipe.open(1, outConn, '10.0.0.1:1');
    pipe.open(2, inConn, '10.0.0.1:2');
    pipe.message(1, true, msg(1, { hello: 1, client: { application: { name: 'billing' } }, $db: 'admin' }), 1, 1);
    pipe.message(1, false, msg(2, { isWritablePrimary: true, ok: 1 }, 1), 2, 2);
    pipe.message(1, true, msg(3, { find: 'items', $db: 'shop' }), 3, 3);
    pipe.message(1, false, badReply(3), 4, 4);
    busy = true;
    pipe.message(2, true, msg(5, { find: 'items', $db: 'shop' }), 5, 5);
    pipe.message(2, false, badReply(5), 6, 6);
    busy = false;
    pipe.message(2, true, msg(7, { find: 'items', $db: 'shop' }), 7, 7);
    pipe.message(2, false, msg(8, { cursor: { id: BSON.Long.ZERO, ns: 'shop.items', firstBatch: [] }, ok: 1 }, 7), 8, 8);
    await pipe.finish();
    await feed.close();
    expect(pipe.parseErrors).toBe(0);
    const kept = await drain(feed);
    expect(kept.map((r) => [r.conn, r.cmd])).toEqual([[inConn, 'find']]);
    // The handshake of the sampled-out connection was decoded (and then sampled out as a record).
    expect(feed.status()).toMatchObject({ seen: 4, queued: 1, dropped: { 'sampled-out': 2, 'host-busy': 1 } });
  });

  test('compressed traffic too: a request the feed would drop is decompressed to be judged, never decoded, and its reply is dropped unread', async () => {
    const feed = new RecordFeed({ rate: 0.5, by: 'connection' }, 10, undefined, Math.random, () => undefined);
    const pipe = new InlineRecording(feed, { replyMode: 'full', redaction: { mode: 'none' }, admit: (conn) => feed.admit(conn) }, () => undefined);
    const msg = (id: number, body: BSON.Document, responseTo = 0) => Buffer.concat(buildOpMsg({ requestId: id, responseTo, sections: [{ kind: 0, body: Buffer.from(BSON.serialize(body)) }] }));
    const zlib = (m: Buffer) => compressMessage(m, 'zlib');
    // A compressed reply whose content is not BSON: decoding it would count a parse error.
    const badReply = async (responseTo: number) => {
      const m = msg(900 + responseTo, { ok: 1 }, responseTo);
      m.writeInt32LE(9999, 21);
      return zlib(m);
    };
    const conns = Array.from({ length: 40 }, (_, i) => `p1:${i}`);
    const outConn = conns.find((c) => connectionDraw(c) >= 0.5)!;
    const inConn = conns.find((c) => connectionDraw(c) < 0.5)!;
    pipe.open(1, outConn, '10.0.0.1:1');
    pipe.open(2, inConn, '10.0.0.1:2');
    pipe.message(1, true, await zlib(msg(1, { find: 'items', $db: 'shop' })), 1, 1);
    pipe.message(1, false, await badReply(1), 2, 2);
    pipe.message(2, true, await zlib(msg(3, { find: 'items', $db: 'shop' })), 3, 3);
    pipe.message(2, false, await zlib(msg(4, { cursor: { id: BSON.Long.ZERO, ns: 'shop.items', firstBatch: [] }, ok: 1 }, 3)), 4, 4);
    await pipe.finish();
    await feed.close();
    expect(pipe.parseErrors).toBe(0);
    const kept = await drain(feed);
    expect(kept.map((r) => [r.conn, r.cmd, r.wire?.compressor, r.reply?.mode])).toEqual([[inConn, 'find', 'zlib', 'full']]);
    expect(feed.status()).toMatchObject({ seen: 2, queued: 1, dropped: { 'sampled-out': 1 } });
  });

  test('the iterator waits for records and ends at close', async () => {
    const feed = new RecordFeed({ rate: 1, by: 'connection' }, 10);
    const got: string[] = [];
    const reading = (async () => {
      for await (const r of feed) got.push(r.conn);
    })();
    feed.write(rec('a', { ping: 1 }));
    await new Promise((r) => setTimeout(r, 5));
    feed.write(rec('b', { ping: 1 }));
    await feed.close();
    await reading;
    expect(got).toEqual(['a', 'b']);
  });
});

/** A live target's surface as the gate sees it, answering after `delayMs`, or down. */
function standIn(delayMs = 0): LiveTarget & { sent: number; dead: boolean } {
  const t = {
    sent: 0,
    dead: false,
    name: 'cand',
    replicaSet: false,
    down: undefined as string | undefined,
    info: { name: 'cand', role: 'candidate' },
    async send(_db: string, _c: BSON.Document, _o: SendOptions): Promise<SendResult> {
      t.sent++;
      // As LiveTarget: a connection that fails marks the target down, and it stays so until someone clears it.
      if (t.dead) t.down = 'target down since then';
      if (t.down) return { kind: 'unavailable', reason: t.down };
      await new Promise((r) => setTimeout(r, delayMs));
      return { kind: 'ok', reply: { ok: 1 }, sentAt: 0, endAt: delayMs };
    },
  };
  return t as unknown as LiveTarget & { sent: number; dead: boolean };
}

describe('MirrorGate', () => {
  test('an operation whose production reply is older than the lag bound is not sent', async () => {
    const t = standIn();
    let now = 1_700_000_000_000 + 1; // just after production's reply (t + dur)
    const gate = new MirrorGate(t, 100, 1_000, () => now);
    const r = rec('c', { find: 'items' }, { ok: 1 });
    expect((await gate.send('shop', r.command, { retry: true, record: r })).kind).toBe('ok');
    now += 500;
    const late = await gate.send('shop', r.command, { retry: true, record: r });
    expect(late.kind).toBe('unavailable');
    expect(t.sent).toBe(1);
    expect(gate.status()).toMatchObject({ mirrored: 1, dropped: { behind: 1, unavailable: 0 } });
    expect(gate.status().lagMs?.last).toBeCloseTo(0.2, 1);
  });

  test('a target that is down is refused at once, then tried again after retryDownMs', async () => {
    const t = standIn();
    let now = 1_700_000_000_000;
    const gate = new MirrorGate(t, 1e12, 1_000, () => now);
    const r = rec('c', { find: 'items' }, { ok: 1 });
    t.dead = true;
    // The first operation finds it down (the target's own retries are spent there) …
    expect((await gate.send('shop', r.command, { retry: true, record: r })).kind).toBe('unavailable');
    expect(t.sent).toBe(1);
    // … the next ones are refused without a send …
    now += 500;
    expect((await gate.send('shop', r.command, { retry: true, record: r })).kind).toBe('unavailable');
    expect(t.sent).toBe(1);
    // … until retryDownMs has passed: one operation tries again, and finds it back.
    t.dead = false;
    now += 600;
    expect((await gate.send('shop', r.command, { retry: true, record: r })).kind).toBe('ok');
    expect(t.sent).toBe(2);
    expect(gate.status()).toMatchObject({ mirrored: 2, dropped: { unavailable: 2, behind: 0 } });
    expect(gate.status().down).toBeUndefined();
  });
});

describe('ProductionTarget', () => {
  const p = new ProductionTarget('production');
  test('answers with the recorded reply and the recorded duration', async () => {
    const r = rec('c', { find: 'items' }, { cursor: { id: 0, firstBatch: [{ _id: 1 }] }, ok: 1 }, { dur: 2500 });
    const res = await p.send('shop', r.command, { retry: true, record: r });
    expect(res.kind).toBe('ok');
    if (res.kind === 'ok') {
      expect(res.reply).toBe((r.reply as { doc: BSON.Document }).doc);
      expect((res.endAt - res.sentAt) * 1000).toBeCloseTo(2500, 3);
    }
  });
  test('a failed command is an error; write errors stay a reply, as on a live target', async () => {
    const failed = rec('c', { find: 'items' }, { ok: 0, code: 2, codeName: 'BadValue', errmsg: 'bad' }, { error: { code: 2, codeName: 'BadValue', message: 'bad' } });
    expect(await p.send('shop', failed.command, { retry: true, record: failed })).toMatchObject({ kind: 'error', error: { code: 2 } });
    const dup = rec('c', { insert: 'items' }, { n: 0, writeErrors: [{ index: 0, code: 11000, errmsg: 'dup' }], ok: 1 }, { error: { code: 11000, message: 'dup' } });
    expect((await p.send('shop', dup.command, { retry: true, record: dup })).kind).toBe('ok');
  });
  test('no recorded reply: unavailable; a drain or kill without a record: an exhausted cursor, an acknowledgement', async () => {
    const lost = rec('c', { find: 'items' });
    expect((await p.send('shop', lost.command, { retry: true, record: lost })).kind).toBe('unavailable');
    const drain = await p.send('shop', { getMore: BSON.Long.fromNumber(5), collection: 'items' }, { retry: true });
    expect(drain).toMatchObject({ kind: 'ok', reply: { cursor: { id: 0, nextBatch: [] }, ok: 1 } });
    expect(await p.send('shop', { killCursors: 'items', cursors: [5] }, { retry: false })).toMatchObject({ kind: 'ok', reply: { cursorsKilled: [5] } });
  });
});

describe('CpuGovernor', () => {
  test('admits while the host keeps the idle share, and refuses while it does not', () => {
    let idle = 0;
    let busy = 0;
    // Two cores, each interval 1,000 ms of time per core.
    const read = (): CpuTimes => [0, 1].map(() => ({ times: { user: busy, nice: 0, sys: 0, idle, irq: 0 } }));
    const g = new CpuGovernor({ minIdle: 0.1, intervalMs: 1e9, read });
    idle += 500;
    busy += 500;
    g.sample();
    expect(g.idle).toBeCloseTo(0.5);
    expect(g.admits).toBe(true);
    idle += 50;
    busy += 950;
    g.sample();
    expect(g.idle).toBeCloseTo(0.05);
    expect(g.admits).toBe(false);
    g.stop();
    expect(new CpuGovernor({ minIdle: 0, intervalMs: 1e9, read }).admits).toBe(true);
  });

  test("refuses while the mirror thread uses more than its share of a core, whatever the host's idle", () => {
    let ns = 0;
    const g = new CpuGovernor({ minIdle: 0, maxThreadCpu: 0.25, intervalMs: 1e9, readThreadNs: () => ns });
    ns += 100e6; // 100 ms of CPU in 1 s
    g.sample(1_000);
    g.sample(1_000);
    ns += 200e6;
    g.sample(2_000);
    expect(g.threadCpu).toBeCloseTo(0.2);
    expect(g.refusal).toBeUndefined();
    ns += 400e6;
    g.sample(3_000);
    expect(g.threadCpu).toBeCloseTo(0.4);
    expect(g.refusal).toBe('mirror-cpu');
    g.stop();
    // Where the thread's CPU cannot be read there is no ceiling.
    const blind = new CpuGovernor({ minIdle: 0, maxThreadCpu: 0.25, intervalMs: 1e9, readThreadNs: () => undefined });
    blind.sample(5_000);
    expect(blind.refusal).toBeUndefined();
    blind.stop();
  });

  test('a feed whose host is busy drops new operations as host-busy', async () => {
    let admits = false;
    const feed = new RecordFeed({ rate: 1, by: 'connection' }, 10, undefined, Math.random, () => (admits ? undefined : 'host-busy'));
    feed.write(rec('c', { ping: 1 }));
    admits = true;
    feed.write(rec('c', { ping: 2 }));
    expect((await drain(feed)).map((r) => r.command)).toEqual([{ ping: 2 }]);
    expect(feed.status().dropped['host-busy']).toBe(1);
  });
});

describe('statusJson', () => {
  test('cuts the live comparison to groups with their first example, latency and verdicts', () => {
    const o = (s: number, price: number): OperationOutcome => ({
      seq: s,
      conn: 'c',
      app: 'shop',
      db: 'shop',
      coll: 'items',
      cmd: 'find',
      shape: 'abc',
      command: { find: 'items', filter: { _id: s } },
      targets: {
        production: { status: 'ok', reply: { cursor: { firstBatch: [{ _id: s, price: 1 }], id: 0 }, ok: 1 }, latencyUs: 100 },
        cand: { status: 'ok', reply: { cursor: { firstBatch: [{ _id: s, price }], id: 0 }, ok: 1 }, latencyUs: 120 },
      },
    }) as OperationOutcome;
    const compare = compareOutcomes([o(1, 1), o(2, 9), o(3, 9)], { baseline: 'production', candidates: ['cand'] });
    const s: ShadowStatus = {
      state: 'running',
      startedAt: 'now',
      run: '/tmp/r',
      listen: ['127.0.0.1:1'],
      upstream: '127.0.0.1:2',
      production: 'baseline',
      feed: { seen: 3, queued: 3, waiting: 0, dropped: { 'sampled-out': 0, 'host-busy': 0, 'mirror-cpu': 0, 'queue-full': 0, 'at-stop': 0 } },
      outcomes: 3,
      records: 3,
      targets: [],
      compare,
    };
    const j = statusJson(s);
    expect(j.operations).toEqual({ seen: 3, mirrored: 3, waiting: 0, outcomes: 3, compared: 3 });
    expect(j.differences).toHaveLength(1);
    expect(j.differences[0]).toMatchObject({ count: 2, example: { seq: 2 } });
    expect(j.differences[0]!.paths.join()).toContain('price');
    expect(j.verdicts[0]!.level).toBe('fail');
  });
});
