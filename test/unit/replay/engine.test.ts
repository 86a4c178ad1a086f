import { BSON, type Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { OperationRecord } from '../../../harness/model/record.ts';
import type { OperationOutcome } from '../../../harness/model/run/outcome.ts';
import { ReplayEngine, type EngineOptions } from '../../../harness/replay/engine.ts';
import type { ReplayTarget } from '../../../harness/replay/send.ts';
import type { SendResult } from '../../../harness/replay/target.ts';

/*
 * The engine as a coordinator, without a server: stand-in targets serve one collection
 * of N documents in batches of their own size, and every command they are sent is kept.
 */

const long = (n: number | bigint) => BSON.Long.fromBigInt(BigInt(n));
const item = (i: number): Document => ({ _id: new BSON.Int32(i) });
const items = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, k) => item(from + k));

class StandIn implements ReplayTarget {
  readonly replicaSet = false;
  readonly sent: { db: string; command: Document; sessionKey?: string }[] = [];
  private readonly cursors = new Map<string, number>();
  private nextId = 900;

  constructor(
    readonly name: string,
    /** Documents the collection holds, and per batch. */
    private readonly total: number,
    private readonly batch: number,
    /** Every getMore finds its cursor gone (a server that lost it). */
    private readonly losesCursors = false,
  ) {}

  send(db: string, command: Document, options: { sessionKey?: string }): Promise<SendResult> {
    this.sent.push({ db, command, sessionKey: options.sessionKey });
    const name = Object.keys(command)[0];
    if (name === 'find') return this.answer(this.page(0, 'firstBatch'));
    if (name === 'getMore') {
      const at = this.cursors.get(String(command.getMore));
      if (at === undefined || this.losesCursors) return this.answer({ ok: 0, code: 43, codeName: 'CursorNotFound', errmsg: 'gone' }, true);
      this.cursors.delete(String(command.getMore));
      return this.answer(this.page(at, 'nextBatch'));
    }
    if (name === 'killCursors') {
      for (const id of command.cursors as BSON.Long[]) this.cursors.delete(String(id));
      return this.answer({ ok: 1 });
    }
    if (name === 'insert') return this.answer({ n: 1, ok: 1 });
    return this.answer({ ok: 1, name });
  }

  get commands(): string[] {
    return this.sent.map((s) => `${Object.keys(s.command)[0]}${s.command.getMore ? ` ${String(s.command.getMore)}` : ''}${s.command.killCursors !== undefined ? ` ${String((s.command.cursors as unknown[])[0])}` : ''}`);
  }

  private page(at: number, which: 'firstBatch' | 'nextBatch'): Document {
    const end = Math.min(this.total, at + this.batch);
    let id = 0;
    if (end < this.total) {
      id = this.nextId++;
      this.cursors.set(String(id), end);
    }
    return { cursor: { id: long(id), ns: 'app.items', [which]: items(at, end) }, ok: 1 };
  }

  private answer(reply: Document, error = false): Promise<SendResult> {
    return Promise.resolve(
      error ? { kind: 'error', error: { code: reply.code as number, codeName: reply.codeName as string, message: 'gone' }, sentAt: 0, endAt: 1 } : { kind: 'ok', reply, sentAt: 0, endAt: 1 },
    );
  }
}

let seq = 0;
function rec(command: Document, reply?: Document, extra: Partial<OperationRecord> = {}): OperationRecord {
  return {
    seq: seq++,
    t: 1_000 * seq,
    dur: 100,
    conn: 'c1',
    db: 'app',
    coll: 'items',
    cmd: Object.keys(command)[0]!,
    op: 'OP_MSG',
    command,
    ...(reply ? { reply: { mode: 'full' as const, doc: reply } } : {}),
    ...extra,
  };
}
const find = (rid: number, firstBatch: Document[]) => rec({ find: 'items', filter: {} }, { cursor: { id: long(rid), ns: 'app.items', firstBatch }, ok: 1 });
const getMore = (rid: number, nextId: number, nextBatch: Document[]) => rec({ getMore: long(rid), collection: 'items' }, { cursor: { id: long(nextId), ns: 'app.items', nextBatch }, ok: 1 });
const killCursors = (rid: number) => rec({ killCursors: 'items', cursors: [long(rid)] }, { cursorsKilled: [long(rid)], ok: 1 });

async function* stream(records: OperationRecord[]): AsyncGenerator<OperationRecord> {
  for (const r of records) yield r;
}

const OPTIONS: EngineOptions = { timing: 'fast', speed: 1, concurrency: 4, allowWrites: false, mapDb: new Map(), measure: true };

async function replay(targets: StandIn[], records: OperationRecord[], options: Partial<EngineOptions> = {}) {
  const outcomes: OperationOutcome[] = [];
  const engine = new ReplayEngine(targets, { ...OPTIONS, ...options }, (o) => void outcomes.push(o));
  const result = await engine.run(stream(records));
  return { outcomes, result, engine };
}

describe('replay engine on live traffic (idleConnectionMs)', () => {
  it('forgets idle connections, ending their open cursors as killed, so its state does not grow with every connection seen', async () => {
    const a = new StandIn('a', 5, 2);
    const opener = { ...find(42, items(0, 2)), conn: 'c0' };
    const others = Array.from({ length: 10_000 }, (_, i) => ({ ...find(0, items(0, 5)), conn: `k${i}` }));
    const { outcomes, engine } = await replay([a], [opener, ...others], { idleConnectionMs: 0 });
    // Swept every 4,096 records: what is left is at most the records read ahead and those since the last sweep.
    expect(engine.connections).toBeLessThan(5_000);
    expect(outcomes).toHaveLength(10_001);
    expect(a.commands).toContain('killCursors 900');
    const c0 = outcomes.find((o) => o.conn === 'c0')!;
    expect(c0.targets.a!.status).toBe('ok');
  });

  it('keeps every connection without the option (a capture)', async () => {
    const a = new StandIn('a', 5, 10);
    const records = Array.from({ length: 5_000 }, (_, i) => ({ ...find(0, items(0, 5)), conn: `k${i}` }));
    const { engine } = await replay([a], records);
    expect(engine.connections).toBe(5_000);
  });
});

describe('replay engine (stand-in targets)', () => {
  it('folds a cursor and its getMores into one outcome, each target read with its own live ids and batch sizes', async () => {
    const a = new StandIn('a', 5, 2);
    const b = new StandIn('b', 5, 10);
    const { outcomes, result, engine } = await replay([a, b], [find(42, items(0, 2)), getMore(42, 42, items(2, 4)), getMore(42, 0, items(4, 5))]);
    expect(a.commands).toEqual(['find', 'getMore 900', 'getMore 901']);
    expect(b.commands).toEqual(['find']); // exhausted in its first batch: no getMore to send
    expect(outcomes).toHaveLength(1);
    const [o] = outcomes;
    expect(o!.targets.a!.status).toBe('ok');
    expect(o!.targets.a!.digest).toBe(o!.targets.b!.digest);
    // The targets agree: production's documents stay in the capture, not in the outcome.
    expect(o!.recorded).toEqual({ durUs: expect.any(Number) });
    expect(result.counts).toMatchObject({ records: 3, outcomes: 1, folded: 2, differences: 0 });
    expect(engine.done).toBe(3);
    // Histograms: one per target × command shape actually sent there.
    expect([...result.histograms.values()].map((h) => `${h.target} ${h.cmd}`).sort()).toEqual(['a find', 'a getMore', 'b find']);
  });

  it('drains a target whose cursor outlives production own, so the logical results compare whole', async () => {
    const a = new StandIn('a', 5, 2);
    const b = new StandIn('b', 5, 10);
    const { outcomes } = await replay([a, b], [find(0, items(0, 5))]);
    expect(a.commands).toEqual(['find', 'getMore 900', 'getMore 901']);
    expect(outcomes[0]!.targets.a!.digest).toBe(outcomes[0]!.targets.b!.digest);
    // Equal results keep digests only.
    expect(outcomes[0]!.targets.a).not.toHaveProperty('docs');
  });

  it('kills a cursor where it is still open when the app killed it, and counts the killCursors as folded', async () => {
    const a = new StandIn('a', 10, 2);
    const b = new StandIn('b', 10, 10);
    const { outcomes, result } = await replay([a, b], [find(42, items(0, 2)), killCursors(42)]);
    expect(a.commands).toEqual(['find', 'killCursors 900']);
    expect(b.commands).toEqual(['find']);
    expect(result.counts).toMatchObject({ outcomes: 1, folded: 1 });
    // a read 2 documents, b all 10 in its first batch: a difference, kept in full.
    expect(outcomes[0]!.targets.a!.docs).toEqual(items(0, 2));
    expect(outcomes[0]!.targets.b!.docs).toEqual(items(0, 10));
    expect(result.counts.differences).toBe(1);
  });

  it('skips getMores and killCursors of cursors it does not know, by reason', async () => {
    const a = new StandIn('a', 4, 2);
    const { outcomes, result } = await replay([a], [getMore(77, 0, []), killCursors(78), find(0, items(0, 4)), getMore(0, 0, [])]);
    expect(result.counts.skipped).toEqual({ 'orphan-getmore': 2, 'orphan-killcursors': 1 });
    expect(outcomes.filter((o) => o.targets.a!.status === 'skipped').map((o) => o.targets.a!.reason)).toEqual(['orphan-getmore', 'orphan-killcursors', 'orphan-getmore']);
    expect(a.commands).toEqual(['find', 'getMore 900']);
  });

  it('calls getMores after an opener recorded without its reply getMores of a drained cursor', async () => {
    const a = new StandIn('a', 3, 2);
    const digestOnly = rec({ find: 'items' }, undefined, { reply: { mode: 'digest', hash: 'ab' } });
    const { result } = await replay([a], [digestOnly, getMore(42, 0, [])]);
    expect(result.counts.skipped).toEqual({ 'getmore-of-drained-cursor': 1 });
    expect(a.commands).toEqual(['find', 'getMore 900']); // the drain, not the recorded getMore
  });

  it('closes cursors still open at the end of the capture, keeping what was read', async () => {
    // b reads bigger batches: what it read by the end differs from a, so the outcome keeps every side in full.
    const a = new StandIn('a', 10, 2);
    const b = new StandIn('b', 10, 3);
    const { outcomes } = await replay([a, b], [find(42, items(0, 2)), getMore(42, 42, items(2, 4))]);
    expect(a.commands).toEqual(['find', 'getMore 900', 'killCursors 901']);
    expect(b.commands).toEqual(['find', 'getMore 900', 'killCursors 901']);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.targets.a).toMatchObject({ status: 'ok', docs: items(0, 4) });
    expect(outcomes[0]!.targets.b).toMatchObject({ status: 'ok', docs: items(0, 6) });
    expect(outcomes[0]!.recorded?.docs).toEqual(items(0, 4));
  });

  it('keeps the error of a target whose live cursor was lost mid-way; the other target goes on', async () => {
    const a = new StandIn('a', 6, 2, true);
    const b = new StandIn('b', 6, 2);
    const { outcomes, result } = await replay([a, b], [find(42, items(0, 2)), getMore(42, 42, items(2, 4)), getMore(42, 0, items(4, 6))]);
    expect(a.commands).toEqual(['find', 'getMore 900']); // nothing more once its cursor failed
    expect(b.commands).toEqual(['find', 'getMore 900', 'getMore 901']);
    expect(outcomes[0]!.targets.a).toMatchObject({ status: 'error', error: { codeName: 'CursorNotFound' }, docs: items(0, 2) });
    expect(outcomes[0]!.targets.b).toMatchObject({ status: 'ok', docs: items(0, 6) });
    expect(result.counts.perTarget.a).toMatchObject({ ok: 0, error: 1 });
    expect(result.counts.differences).toBe(1);
    // A difference keeps what production answered, every recorded document, for compare to tell drift from the version.
    expect(outcomes[0]!.recorded?.docs).toEqual(items(0, 6));
    expect(outcomes[0]!.recorded?.reply).toMatchObject({ cursor: { firstBatch: [] } });
  });

  it('skips writes unless allowed, handshakes and session commands; sends other commands to every target', async () => {
    const a = new StandIn('a', 0, 1);
    const b = new StandIn('b', 0, 1);
    const records = [
      rec({ hello: 1 }), // before any app command: a handshake or a monitor's heartbeat
      rec({ insert: 'items', documents: [item(1)] }),
      rec({ hello: 1, client: { application: { name: 'app' } } }), // a handshake field
      rec({ endSessions: [] }),
      rec({ count: 'items' }, { n: 0, ok: 1 }),
      rec({ hello: 1 }), // the app's own call, on a connection that carried its commands
    ];
    const { outcomes, result } = await replay([a, b], records);
    expect(result.counts.skipped).toEqual({ 'writes-not-allowed': 1, handshake: 2, 'session-command': 1 });
    expect(result.counts.perTarget.a).toEqual({ ok: 2, error: 0, unavailable: 0, skipped: 4 });
    expect(a.commands).toEqual(['count', 'hello']);
    expect(b.commands).toEqual(['count', 'hello']);
    expect(outcomes.find((o) => o.cmd === 'count')!.recorded).toEqual({ durUs: expect.any(Number) });
    const allowed = await replay([new StandIn('a', 0, 1)], [records[1]!], { allowWrites: true });
    expect(allowed.result.counts.perTarget.a!.ok).toBe(1);
  });

  it('hands nothing on and sends no write on a warm-up pass', async () => {
    const a = new StandIn('a', 4, 2);
    const { outcomes, result } = await replay([a], [rec({ insert: 'items', documents: [] }), find(42, items(0, 2)), getMore(42, 0, items(2, 4))], { measure: false, allowWrites: true });
    expect(outcomes).toEqual([]);
    expect(a.commands).toEqual(['find', 'getMore 900']);
    expect(result.histograms.size).toBe(0);
    expect(result.counts).toMatchObject({ outcomes: 1, folded: 1, skipped: { 'writes-not-allowed': 1 } });
  });

  it('runs the records of one connection in order and keeps the session of a connection', async () => {
    const a = new StandIn('a', 0, 1);
    const records = Array.from({ length: 50 }, (_, i) => rec({ ping: 1, i }, undefined, { conn: `c${i % 3}` }));
    await replay([a], records, { concurrency: 2 });
    for (const c of ['c0', 'c1', 'c2']) {
      const mine = a.sent.filter((s) => s.sessionKey === `conn:${c}`).map((s) => s.command.i as number);
      expect(mine).toEqual([...mine].sort((x, y) => x - y));
      expect(mine.length).toBeGreaterThan(0);
    }
    expect(a.sent).toHaveLength(50);
  });
});
