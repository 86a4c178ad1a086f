import fc from 'fast-check';
import { BSON, type Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { OperationRecord } from '../../../harness/model/record.ts';
import { CursorTable, cursorId, LogicalCursor } from '../../../harness/replay/cursors.ts';
import type { Rewritten } from '../../../harness/replay/rewrite.ts';
import type { SendResult } from '../../../harness/replay/target.ts';

const long = (n: number) => BSON.Long.fromNumber(n);
const doc = (i: number): Document => ({ _id: new BSON.Int32(i) });
const docs = (from: number, to: number): Document[] => Array.from({ length: to - from }, (_, k) => doc(from + k));

/** A recorded command; `reply` is production's answer, recorded in full unless `mode` says otherwise. */
function record(command: Document, reply?: Document, mode: 'full' | 'digest' = 'full'): OperationRecord {
  const cmd = Object.keys(command)[0]!;
  return {
    seq: 7,
    t: 1_000,
    dur: 250,
    conn: 'c1',
    db: 'app',
    coll: 'items',
    cmd,
    op: 'OP_MSG',
    command,
    ...(reply === undefined ? {} : { reply: mode === 'full' ? { mode: 'full' as const, doc: reply } : { mode: 'digest' as const, hash: 'ab' } }),
  };
}

const find = (recordedId: number, firstBatch: Document[] = []) =>
  record({ find: 'items', filter: {} }, { cursor: { id: long(recordedId), ns: 'app.items', firstBatch }, ok: 1 });
const getMore = (recordedId: unknown, reply?: Document) => record({ getMore: recordedId, collection: 'items' }, reply);
const recordedBatch = (id: number, nextBatch: Document[]) => ({ cursor: { id: long(id), ns: 'app.items', nextBatch }, ok: 1 });

const rewritten = (command: Document, db = 'app', sessionKey?: string): Rewritten => ({ db, command, notes: [], ...(sessionKey ? { sessionKey } : {}) });

/** A live reply: cursor `id` (0: exhausted) with `batch` as firstBatch or nextBatch. */
function reply(id: number, batch: Document[], which: 'firstBatch' | 'nextBatch', ns = 'app.items', sentAt = 0, endAt = 1): SendResult {
  return { kind: 'ok', reply: { cursor: { id: long(id), ns, [which]: batch }, ok: 1 }, sentAt, endAt };
}
const failed = (codeName = 'BadValue'): SendResult => ({ kind: 'error', error: { code: 2, codeName, message: 'no' }, sentAt: 0, endAt: 2 });
const down: SendResult = { kind: 'unavailable', reason: 'target down' };

/** A cursor opened on two targets (a, b) by `rec`, with their first replies. */
function openOn(rec: OperationRecord, a: SendResult, b: SendResult, maxDocs = 100): LogicalCursor {
  const c = new LogicalCursor(rec, rec.command, 'shape1', maxDocs);
  c.opened(rewritten(rec.command), a, 500);
  c.opened(rewritten(rec.command), b, 700);
  return c;
}

describe('logical cursors: opening', () => {
  it('keeps each target its live id, first batch, namespace and latency; the reply keeps its cursor but not the batch', () => {
    const c = openOn(find(42, docs(0, 2)), reply(901, docs(0, 2), 'firstBatch', 'app.items'), reply(0, docs(0, 2), 'firstBatch', 'other.$cmd.listCollections'));
    const [a, b] = c.sides;
    expect(a!.live?.toString()).toBe('901');
    expect(b!.live).toBeNull(); // exhausted in its first batch
    expect(a!.docs).toEqual(docs(0, 2));
    expect(a!.reply!.cursor.firstBatch).toEqual([]);
    expect(a!.reply!.cursor.id.toString()).toBe('901');
    expect(b!.coll).toBe('$cmd.listCollections');
    expect(a!.latencyUs).toBe(500);
    expect(a!.sessionKey).toBe('conn:c1');
    expect(c.open).toBe(true);
  });

  it('uses the recorded session of the rewritten command, and the rewritten database', () => {
    const rec = find(42);
    const c = new LogicalCursor(rec, rec.command, 's', 10);
    c.opened(rewritten(rec.command, 'clone', 'abcd'), reply(5, [], 'firstBatch'), 1);
    expect(c.sides[0]!.sessionKey).toBe('abcd');
    expect(c.sides[0]!.db).toBe('clone');
    expect(c.getMoreFor(0, rewritten({ getMore: long(42), collection: 'items' }, 'clone', 'abcd'))).toMatchObject({ db: 'clone', sessionKey: 'abcd' });
  });

  it('stays open in the table under production cursor id while production kept its cursor', () => {
    const table = new CursorTable();
    const c = openOn(find(42), reply(901, [], 'firstBatch'), reply(902, [], 'firstBatch'));
    expect(table.track(c)).toBe(true);
    expect(table.size).toBe(1);
    // The recorded id as a Long, a number or a bigint finds it.
    expect(table.forGetMore(long(42))).toBe(c);
    expect(table.forGetMore(42)).toBe(c);
    expect(table.forGetMore(42n)).toBe(c);
  });

  it('is whole at once when production exhausted its cursor in the first batch, even if a target did not', () => {
    const table = new CursorTable();
    const c = openOn(find(0, docs(0, 3)), reply(901, docs(0, 2), 'firstBatch'), reply(0, docs(0, 3), 'firstBatch'));
    expect(table.track(c)).toBe(false); // the engine drains target a to the end
    expect(table.size).toBe(0);
    expect(c.drainFor(0)).toEqual({ db: 'app', command: { getMore: long(901), collection: 'items' }, sessionKey: 'conn:c1' });
    expect(c.drainFor(1)).toBeNull();
    // A getMore naming some id later is an orphan: production's own cursor was not open.
    expect(table.forGetMore(long(0))).toBe('orphan-getmore');
  });

  it('is whole at once when production reply is not recorded in full; later getMores on the connection are of a drained cursor', () => {
    const table = new CursorTable();
    const rec = record({ find: 'items' }, {}, 'digest');
    const c = openOn(rec, reply(901, [], 'firstBatch'), reply(902, [], 'firstBatch'));
    expect(table.track(c)).toBe(false);
    expect(c.recordedReply).toBeUndefined();
    expect(table.forGetMore(long(77))).toBe('getmore-of-drained-cursor');
  });

  it('keeps a target whose opener failed apart: an error is part of the result, the other target goes on', () => {
    const table = new CursorTable();
    const c = openOn(find(42, docs(0, 1)), failed(), reply(902, docs(0, 1), 'firstBatch'));
    expect(table.track(c)).toBe(true);
    const [a, b] = c.sides;
    expect(a).toMatchObject({ status: 'error', live: null, error: { codeName: 'BadValue' }, latencyUs: 500 });
    expect(a!.reply).toBeUndefined();
    expect(c.getMoreFor(0, rewritten({ getMore: long(42) }))).toBeNull();
    expect(c.getMoreFor(1, rewritten({ getMore: long(42) }))?.command.getMore.toString()).toBe('902');
    c.gotMore(1, reply(0, docs(1, 3), 'nextBatch'), 100);
    const out = c.outcomes(['a', 'b']);
    expect(out.a).toMatchObject({ status: 'error', error: { codeName: 'BadValue' }, latencyUs: 500 });
    expect(out.a).not.toHaveProperty('reply');
    expect(out.a).not.toHaveProperty('docs');
    expect(out.b).toMatchObject({ status: 'ok', docs: docs(0, 3), latencyUs: 800 });
    expect(out.a!.digest).not.toBe(out.b!.digest);
    expect(b!.live).toBeNull();
  });

  it('marks a target that was unavailable at the opener unavailable, with the reason and no digest', () => {
    const c = openOn(find(42), down, reply(902, [], 'firstBatch'));
    expect(c.sides[0]).toMatchObject({ status: 'unavailable', reason: 'target down', live: null, latencyUs: 0 });
    expect(c.outcomes(['a', 'b']).a).toEqual({ status: 'unavailable', reason: 'target down' });
  });
});

describe('logical cursors: getMore', () => {
  it('maps the recorded cursor id to each target live id, and sends nothing to a target already exhausted', () => {
    const rec = find(42);
    const c = new LogicalCursor(rec, rec.command, 's', 10);
    c.opened(rewritten(rec.command, 'clone', 'k1'), reply(901, [], 'firstBatch', 'clone.items'), 1);
    c.opened(rewritten(rec.command), reply(0, docs(0, 2), 'firstBatch'), 1);
    const recorded = { getMore: long(42), collection: 'items', batchSize: new BSON.Int32(2) };
    const m = c.getMoreFor(0, rewritten(recorded, 'other'));
    expect(m?.command).toEqual({ getMore: long(901), collection: 'items', batchSize: new BSON.Int32(2) });
    // The database and session where the live cursor was opened.
    expect(m?.db).toBe('clone');
    expect(m?.sessionKey).toBe('k1');
    expect(recorded.getMore.toString()).toBe('42'); // the recorded command is not touched
    expect(c.getMoreFor(1, rewritten(recorded))).toBeNull();
  });

  it('appends each batch and follows the live id until the target exhausts its cursor', () => {
    const c = openOn(find(42, docs(0, 1)), reply(901, docs(0, 1), 'firstBatch'), reply(902, docs(0, 1), 'firstBatch'));
    c.gotMore(0, reply(903, docs(1, 3), 'nextBatch'), 10);
    c.gotMore(1, reply(0, docs(1, 3), 'nextBatch'), 20);
    expect(c.sides[0]!.live?.toString()).toBe('903');
    expect(c.sides[1]!.live).toBeNull();
    expect(c.sides[0]!.docs).toEqual(docs(0, 3));
    expect(c.sides[0]!.latencyUs).toBe(510);
    expect(c.sides[1]!.status).toBe('ok');
    c.gotMore(1, null, 999); // nothing was sent there: nothing changes
    expect(c.sides[1]!.latencyUs).toBe(720);
  });

  it('stops a target whose getMore failed (latency counted) or that became unavailable (not counted)', () => {
    const c = openOn(find(42), reply(901, [], 'firstBatch'), reply(902, [], 'firstBatch'));
    c.gotMore(0, failed('CursorNotFound'), 30);
    c.gotMore(1, down, 30);
    expect(c.sides[0]).toMatchObject({ status: 'error', live: null, latencyUs: 530, error: { codeName: 'CursorNotFound' } });
    expect(c.sides[1]).toMatchObject({ status: 'unavailable', live: null, latencyUs: 700, reason: 'target down' });
    expect(c.open).toBe(false);
  });

  it('collects production documents and ends when production cursor id is 0', () => {
    const rec = find(42, docs(0, 2));
    const c = openOn(rec, reply(901, [], 'firstBatch'), reply(902, [], 'firstBatch'));
    const table = new CursorTable();
    table.track(c);
    expect(c.recordedGetMore(getMore(long(42), recordedBatch(42, docs(2, 4))))).toBe(false);
    expect(c.recordedGetMore(getMore(long(42)))).toBe(false); // reply not recorded: production's cursor may go on
    expect(c.recordedGetMore(getMore(long(42), recordedBatch(0, docs(4, 5))))).toBe(true);
    expect(c.recordedDocs).toEqual(docs(0, 5));
    expect(c.recorded()).toEqual({ reply: { cursor: { id: long(42), ns: 'app.items', firstBatch: [] }, ok: 1 }, docs: docs(0, 5), durUs: 250 });
    // The engine then ends it: a getMore after the drain is an orphan.
    table.end(c);
    expect(table.size).toBe(0);
    expect(table.forGetMore(long(42))).toBe('orphan-getmore');
  });

  it('ends when production answered a getMore with an error', () => {
    const c = openOn(find(42), reply(901, [], 'firstBatch'), reply(902, [], 'firstBatch'));
    c.recordedOpen();
    expect(c.recordedGetMore(getMore(long(42), { ok: 0, code: 43, codeName: 'CursorNotFound' }))).toBe(true);
  });

  it('skips a getMore of a cursor it never saw, or with an id that is not one, as an orphan', () => {
    const table = new CursorTable();
    table.track(openOn(find(42), reply(901, [], 'firstBatch'), reply(902, [], 'firstBatch')));
    expect(table.forGetMore(long(43))).toBe('orphan-getmore');
    expect(table.forGetMore('42')).toBe('orphan-getmore');
    expect(table.forGetMore(undefined)).toBe('orphan-getmore');
  });
});

describe('logical cursors: drain, kill and the end', () => {
  it('drains a side to its end with the round trips in its latency, then has nothing to kill', () => {
    const c = openOn(find(0), reply(901, docs(0, 1), 'firstBatch'), reply(0, docs(0, 3), 'firstBatch'));
    c.drained(0, reply(905, docs(1, 2), 'nextBatch', 'app.items', 10, 10.25));
    expect(c.drainFor(0)?.command).toEqual({ getMore: long(905), collection: 'items' });
    c.drained(0, reply(0, docs(2, 3), 'nextBatch', 'app.items', 11, 11.5));
    expect(c.drainFor(0)).toBeNull();
    expect(c.killFor(0)).toBeNull();
    expect(c.sides[0]!.latencyUs).toBe(500 + 250 + 500);
    const out = c.outcomes(['a', 'b']);
    // The same documents in other batches: the same result.
    expect(out.a!.digest).toBe(out.b!.digest);
    expect(out.a!.docs).toEqual(out.b!.docs);
  });

  it('stops draining a side whose drain failed, keeping what it read and the error', () => {
    const c = openOn(find(0), reply(901, docs(0, 1), 'firstBatch'), reply(902, [], 'firstBatch'));
    c.drained(0, failed('CursorKilled'));
    c.drained(1, down);
    expect(c.sides[0]).toMatchObject({ status: 'error', live: null, docs: docs(0, 1), latencyUs: 500 });
    expect(c.sides[1]).toMatchObject({ status: 'unavailable', live: null });
    expect(c.drainFor(0)).toBeNull();
  });

  it('kills a cursor open on one target but exhausted on another only where it is open', () => {
    const table = new CursorTable();
    const c = openOn(find(42, docs(0, 2)), reply(901, docs(0, 2), 'firstBatch'), reply(0, docs(0, 2), 'firstBatch'));
    table.track(c);
    expect(table.kill([long(42)])).toEqual([c]);
    expect(table.size).toBe(0);
    expect(c.killFor(0)).toEqual({ db: 'app', command: { killCursors: 'items', cursors: [long(901)] }, sessionKey: 'conn:c1' });
    expect(c.killFor(1)).toBeNull();
    expect(c.open).toBe(false);
    expect(c.killFor(0)).toBeNull(); // killed once
    const out = c.outcomes(['a', 'b']);
    expect(out.a).toMatchObject({ status: 'ok', docs: docs(0, 2) });
    expect(out.a!.digest).toBe(out.b!.digest);
    // A getMore after the kill is an orphan.
    expect(table.forGetMore(long(42))).toBe('orphan-getmore');
  });

  it('finds only the cursors a killCursors names that are open, and none for other input', () => {
    const table = new CursorTable();
    const x = openOn(find(42), reply(901, [], 'firstBatch'), reply(902, [], 'firstBatch'));
    const y = openOn(find(43), reply(903, [], 'firstBatch'), reply(904, [], 'firstBatch'));
    table.track(x);
    table.track(y);
    expect(table.kill([long(99), long(43), 'x'])).toEqual([y]);
    expect(table.kill([long(43)])).toEqual([]); // already killed: an orphan killCursors
    expect(table.kill(undefined)).toEqual([]);
    expect(table.kill(long(42))).toEqual([]); // not an array
    expect(table.forGetMore(long(42))).toBe(x);
  });

  it('hands over every cursor still open at the end of the capture, in opening order, and is empty after', () => {
    const table = new CursorTable();
    const cs = [42, 43, 44].map((id) => openOn(find(id), reply(900 + id, [], 'firstBatch'), reply(0, [], 'firstBatch')));
    for (const c of cs) table.track(c);
    table.end(cs[1]!);
    expect(table.takeAll()).toEqual([cs[0], cs[2]]);
    expect(table.size).toBe(0);
    expect(table.takeAll()).toEqual([]);
    expect(table.forGetMore(long(42))).toBe('orphan-getmore');
  });
});

describe('logical cursors: the outcome', () => {
  it('keeps at most maxDocs documents per target, with the full count; the digest still covers every document', () => {
    const small = openOn(find(0, docs(0, 5)), reply(0, docs(0, 5), 'firstBatch'), reply(0, docs(0, 5), 'firstBatch'), 3);
    const large = openOn(find(0, docs(0, 5)), reply(0, docs(0, 5), 'firstBatch'), reply(0, docs(0, 5), 'firstBatch'), 100);
    small.recordedOpen();
    const s = small.outcomes(['a', 'b']).a!;
    const l = large.outcomes(['a', 'b']).a!;
    expect(s.docs).toEqual(docs(0, 3));
    expect(s.docsCount).toBe(5);
    expect(l).not.toHaveProperty('docsCount');
    expect(s.digest).toBe(l.digest);
    expect(small.recorded()?.docs).toEqual(docs(0, 3));
  });

  it('gives the recorded error of an opener production failed', () => {
    const rec: OperationRecord = { ...record({ find: 'items' }), error: { code: 2, codeName: 'BadValue' } };
    const c = openOn(rec, failed(), failed());
    expect(c.recordedOpen()).toBeUndefined();
    expect(c.recorded()).toEqual({ error: { code: 2, codeName: 'BadValue' }, durUs: 250 });
    const out = c.outcomes(['a', 'b']);
    expect(out.a!.digest).toBe(out.b!.digest);
  });

  it('digests the same logical result alike however each target batched it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 12 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 12 }),
        (n, cutsA, cutsB) => {
          const all = docs(0, n);
          const c = new LogicalCursor(find(42), { find: 'items' }, 's', 100);
          // Each target returns `all` in batches of the given sizes, then id 0.
          const feed = (i: number, sizes: number[]) => {
            let at = 0;
            let k = 0;
            const next = () => sizes[k++ % sizes.length]!;
            const first = Math.min(n, next());
            c.opened(rewritten({ find: 'items' }), reply(first >= n ? 0 : 900 + i, all.slice(0, first), 'firstBatch'), 1);
            at = first;
            while (c.sides[i]!.live) {
              const size = next();
              const end = Math.min(n, at + size);
              c.gotMore(i, reply(end >= n ? 0 : 900 + i, all.slice(at, end), 'nextBatch'), 1);
              at = end;
            }
          };
          feed(0, cutsA);
          feed(1, cutsB);
          const out = c.outcomes(['a', 'b']);
          expect(out.a!.docs).toEqual(all);
          expect(out.b!.docs).toEqual(all);
          expect(out.a!.digest).toBe(out.b!.digest);
        },
      ),
    );
  });
});

describe('cursorId', () => {
  it('reads Long, number and bigint ids; 0, absent and non-numeric ids are no cursor', () => {
    expect(cursorId(long(5))?.toString()).toBe('5');
    expect(cursorId(5)?.toString()).toBe('5');
    expect(cursorId(2n ** 62n)?.toString()).toBe(String(2n ** 62n));
    expect(cursorId(long(0))).toBeNull();
    expect(cursorId(0)).toBeNull();
    expect(cursorId(undefined)).toBeNull();
    expect(cursorId(null)).toBeNull();
    expect(cursorId('5')).toBeNull();
    expect(cursorId(new BSON.Int32(5))).toBeNull();
  });
});
