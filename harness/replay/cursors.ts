import { BSON } from 'mongodb';
import type { OperationRecord } from '../model/record.ts';
import type { OperationOutcome, OutcomeError, TargetOutcome } from '../model/run/outcome.ts';
import { OutcomeDigest } from './digest.ts';
import { recordedOf, withFull, type FullReply, type TargetPart } from './outcomes.ts';
import { rawDigest } from './raw-reply.ts';
import type { Rewritten } from './rewrite.ts';
import type { SendResult } from './target.ts';

/**
 * Logical cursors of one recorded connection: which live cursor on each target stands
 * for a recorded cursor id, and when the logical result (first batch, every getMore,
 * and a drain when production read the cursor to its end) is whole. Pure: it says what
 * to send and takes what came back; sending is the engine's and the send path's.
 *
 *   opener sent ──► one side per target: live id │ exhausted (id 0) │ error │ unavailable
 *        │
 *        ├─ recorded reply: cursor id ≠ 0 ──► open in the table under that id
 *        ├─ recorded reply: cursor id 0 ───► whole now: finish (drain)
 *        └─ no full recorded reply ────────► whole now: finish (drain); later getMores on
 *                                            this connection are `getmore-of-drained-cursor`
 *   getMore(id) ── not in the table ──► skipped: `orphan-getmore` (or the above)
 *        │ in the table: each live side sends getMore with its own live id, the others
 *        │ send nothing; a side's reply appends its batch and moves its live id
 *        │ (0: exhausted; error or unavailable: the side stops, its status says why)
 *        └─ recorded reply with cursor id 0, or without a cursor ──► out of the table, finish (drain)
 *   killCursors(ids) ── none in the table ──► skipped: `orphan-killcursors`
 *        └─ each one found ──► out of the table, finish (kill)
 *   end of the capture ──► every cursor left: finish (kill)
 *   finish: with drain, each live side is read to its end (send.ts bounds the round
 *           trips); a side still live after that is killed; then one outcome.
 */

/** Why a getMore or killCursors record has no cursor to continue. */
export type CursorSkip = 'orphan-getmore' | 'getmore-of-drained-cursor' | 'orphan-killcursors';

/** A command for one target: what the send path sends. */
export interface Outbound {
  readonly db: string;
  readonly command: BSON.Document;
  readonly sessionKey?: string;
  readonly readPreference?: BSON.Document;
}

/** One target's view of a logical cursor. */
export interface CursorSide {
  /** The live cursor id on this target; null once exhausted, failed or killed. */
  live: BSON.Long | null;
  status: 'ok' | 'error' | 'unavailable';
  /** The opener's reply with `cursor.firstBatch` emptied (the documents are in `docs`); see opener for one not decoded yet. */
  reply?: BSON.Document;
  /** The opener's reply as sent back, when it was digested from its bytes (decoded only if the outcome keeps it). */
  opener?: Extract<SendResult, { kind: 'ok' }>;
  /** Documents kept, each decoded or still its BSON (a slice of the reply, decoded only if the outcome keeps it). */
  docs: (BSON.Document | Uint8Array)[];
  /** Whether part of the digest was taken from bytes (raw-reply.ts) rather than decoded values. */
  fromBytes: boolean;
  docsCount: number;
  readonly digest: OutcomeDigest;
  latencyUs: number;
  error?: OutcomeError;
  reason?: string;
  readonly sessionKey: string;
  readonly db: string;
  coll: string;
}

export class LogicalCursor {
  /** One side per target, in target order. */
  readonly sides: CursorSide[] = [];
  /** Production's opener reply (first batch emptied) and its documents, when recorded in full. */
  recordedReply?: BSON.Document;
  recordedDocs?: BSON.Document[];
  /** The recorded cursor id (as a string) while the cursor is in its connection's table. */
  key?: string;

  constructor(
    readonly rec: OperationRecord,
    /** The opener as sent (after rewriting). */
    readonly command: BSON.Document,
    readonly shape: string,
    /** Documents kept per side and for the recorded result; beyond it only the digest and count go on. */
    private readonly maxDocs: number,
  ) {}

  /** The opener's result on the next target (call once per target, in target order); `us` its latency. */
  opened(rw: Rewritten, res: SendResult, us: number): void {
    const side: CursorSide = {
      live: null,
      status: 'ok',
      docs: [],
      fromBytes: false,
      docsCount: 0,
      digest: new OutcomeDigest(),
      latencyUs: 0,
      sessionKey: rw.sessionKey ?? `conn:${this.rec.conn}`,
      db: rw.db,
      coll: this.rec.coll ?? '',
    };
    this.sides.push(side);
    if (res.kind === 'unavailable') {
      side.status = 'unavailable';
      side.reason = res.reason;
      return;
    }
    side.latencyUs += us;
    if (res.kind === 'error') {
      side.status = 'error';
      side.error = res.error;
      side.digest.error(res.error);
      return;
    }
    // From the reply's bytes where they walk as expected: nothing decoded (raw-reply.ts).
    const raw = res.raw ? rawDigest(res.raw, 'firstBatch') : undefined;
    let ns = '';
    if (raw) {
      side.opener = res;
      side.fromBytes = true;
      side.digest.addBytes(raw.stripped);
      this.addRawDocs(side, raw.docs);
      side.live = raw.cursorId;
      ns = raw.ns ?? '';
    } else {
      const cursor = res.reply.cursor as BSON.Document | undefined;
      const batch = (cursor?.firstBatch as BSON.Document[] | undefined) ?? [];
      side.reply = cursor ? { ...res.reply, cursor: { ...cursor, firstBatch: [] } } : res.reply;
      side.digest.reply(side.reply);
      this.addDocs(side, batch);
      side.live = cursorId(cursor?.id);
      if (typeof cursor?.ns === 'string') ns = cursor.ns;
    }
    // The live namespace names the collection for getMore/killCursors (listCollections answers on `$cmd.listCollections`).
    if (ns.includes('.')) side.coll = ns.slice(ns.indexOf('.') + 1);
  }

  /**
   * Takes what production answered the opener. Returns its cursor id (null when it was
   * exhausted at once), or undefined when the reply was not recorded in full.
   */
  recordedOpen(): BSON.Long | null | undefined {
    const rrep = this.rec.reply?.mode === 'full' ? this.rec.reply.doc : undefined;
    if (!rrep) return undefined;
    const rcursor = rrep.cursor as BSON.Document | undefined;
    this.recordedReply = rcursor ? { ...rrep, cursor: { ...rcursor, firstBatch: [] } } : rrep;
    this.recordedDocs = ((rcursor?.firstBatch as BSON.Document[] | undefined) ?? []).slice(0, this.maxDocs);
    return cursorId(rcursor?.id);
  }

  /** Whether any target still holds a live cursor (most are exhausted in their first batch). */
  get open(): boolean {
    for (const s of this.sides) if (s.live) return true;
    return false;
  }

  /** The recorded getMore as sent to target `i`: its live id in place of the recorded one; null when that side has none. */
  getMoreFor(i: number, rw: Rewritten): Outbound | null {
    const side = this.sides[i]!;
    if (!side.live) return null;
    return { ...rw, db: side.db, command: { ...rw.command, getMore: side.live }, sessionKey: side.sessionKey };
  }

  /** A recorded getMore's result on target `i` (null: nothing was sent there); `us` its latency. */
  gotMore(i: number, res: SendResult | null, us: number): void {
    if (!res) return;
    const side = this.sides[i]!;
    if (res.kind === 'unavailable') {
      side.status = 'unavailable';
      side.reason = res.reason;
      side.live = null;
      return;
    }
    side.latencyUs += us;
    if (res.kind === 'error') {
      side.status = 'error';
      side.error = res.error;
      side.digest.error(res.error);
      side.live = null;
      return;
    }
    this.addBatch(side, res);
  }

  /**
   * Takes what production answered a getMore. Returns true when production's cursor
   * ended there (cursor id 0, or a reply without a cursor, an error): the logical
   * result is whole and the live cursors are to be drained.
   */
  recordedGetMore(rec: OperationRecord): boolean {
    const rrep = rec.reply?.mode === 'full' ? rec.reply.doc : undefined;
    if (!rrep) return false;
    const rcursor = rrep.cursor as BSON.Document | undefined;
    if (rcursor && this.recordedDocs) {
      const batch = (rcursor.nextBatch as BSON.Document[] | undefined) ?? [];
      for (const d of batch) if (this.recordedDocs.length < this.maxDocs) this.recordedDocs.push(d);
    }
    return !rcursor || !cursorId(rcursor.id);
  }

  /** The next drain round trip for target `i`, or null when that side has nothing left to read. */
  drainFor(i: number): Outbound | null {
    const side = this.sides[i]!;
    if (!side.live) return null;
    return { db: side.db, command: { getMore: side.live, collection: side.coll }, sessionKey: side.sessionKey };
  }

  /** A drain round trip's result: its time counts in the logical result's latency, not in a recorded getMore's histogram. */
  drained(i: number, res: SendResult): void {
    const side = this.sides[i]!;
    if (res.kind === 'unavailable') {
      side.status = 'unavailable';
      side.reason = res.reason;
      side.live = null;
    } else if (res.kind === 'error') {
      side.status = 'error';
      side.error = res.error;
      side.digest.error(res.error);
      side.live = null;
    } else {
      side.latencyUs += (res.endAt - res.sentAt) * 1000;
      this.addBatch(side, res);
    }
  }

  /** The killCursors for target `i` when its side is still live, which it is no longer once this is called. */
  killFor(i: number): Outbound | null {
    const side = this.sides[i]!;
    if (!side.live) return null;
    const out: Outbound = { db: side.db, command: { killCursors: side.coll, cursors: [side.live] }, sessionKey: side.sessionKey };
    // Whatever the kill answers, the outcome is what was read before it.
    side.live = null;
    return out;
  }

  /** Per target name, what the logical result was, replies and documents in full (call once the cursor is finished). */
  outcomes(names: readonly string[]): Record<string, TargetOutcome> {
    const targets: Record<string, TargetOutcome> = {};
    const parts = this.parts();
    for (let i = 0; i < names.length; i++) {
      const p = parts[i]!;
      targets[names[i]!] = p.full ? withFull(p.outcome, p.full.value()) : p.outcome;
    }
    return targets;
  }

  /** Each target's part of the outcome, in target order, replies and documents decoded only if the outcome keeps them (outcomes.ts). */
  parts(): TargetPart[] {
    const parts = new Array<TargetPart>(this.sides.length);
    for (let i = 0; i < parts.length; i++) {
      const s = this.sides[i]!;
      if (s.status === 'unavailable') {
        parts[i] = { outcome: { status: 'unavailable', reason: s.reason } };
        continue;
      }
      parts[i] = {
        outcome: {
          status: s.status,
          ...(s.docsCount !== s.docs.length ? { docsCount: s.docsCount } : {}),
          ...(s.error ? { error: s.error } : {}),
          digest: s.digest.hex(),
          latencyUs: Math.round(s.latencyUs),
        },
        ...(s.reply || s.opener ? { full: new SideReply(s) } : {}),
      };
    }
    return parts;
  }

  /** What production answered, for the outcome: the opener's reply and every recorded document. */
  recorded(): OperationOutcome['recorded'] {
    return this.recordedReply ? { reply: this.recordedReply, docs: this.recordedDocs, durUs: this.rec.dur } : recordedOf(this.rec);
  }

  private addDocs(side: CursorSide, batch: readonly BSON.Document[]): void {
    side.digest.docs(batch);
    side.docsCount += batch.length;
    for (const d of batch) if (side.docs.length < this.maxDocs) side.docs.push(d);
  }

  /** Documents as their BSON: each is digested as the bytes BSON.serialize gives its decoded form. */
  private addRawDocs(side: CursorSide, batch: readonly Uint8Array[]): void {
    for (const d of batch) {
      side.digest.addBytes(d);
      if (side.docs.length < this.maxDocs) side.docs.push(d);
    }
    side.docsCount += batch.length;
  }

  /** A getMore's (or a drain's) ok reply: its `nextBatch` and the cursor id that follows. */
  private addBatch(side: CursorSide, res: Extract<SendResult, { kind: 'ok' }>): void {
    const raw = res.raw ? rawDigest(res.raw, 'nextBatch') : undefined;
    if (raw) {
      side.fromBytes = true;
      this.addRawDocs(side, raw.docs);
      side.live = raw.cursorId;
      return;
    }
    const cursor = res.reply.cursor as BSON.Document | undefined;
    this.addDocs(side, (cursor?.nextBatch as BSON.Document[] | undefined) ?? []);
    side.live = cursorId(cursor?.id);
  }
}

/** A cursor side's reply and documents, decoded when the outcome keeps them. */
class SideReply implements FullReply {
  constructor(private readonly side: CursorSide) {}

  value(): { reply: BSON.Document; docs: BSON.Document[] } {
    const s = this.side;
    if (!s.reply && s.opener) {
      const reply = s.opener.reply;
      const cursor = reply.cursor as BSON.Document;
      s.reply = { ...reply, cursor: { ...cursor, firstBatch: [] } };
    }
    for (let i = 0; i < s.docs.length; i++) {
      const d = s.docs[i]!;
      if (d instanceof Uint8Array) s.docs[i] = BSON.deserialize(d, DOC_BSON);
    }
    return { reply: s.reply!, docs: s.docs as BSON.Document[] };
  }

  /** The digest from the decoded reply and documents; undefined when it was not taken from bytes or documents were not all kept. */
  decodedDigest(): string | undefined {
    const s = this.side;
    if (!s.fromBytes || s.docsCount !== s.docs.length) return undefined;
    const v = this.value();
    const d = new OutcomeDigest();
    d.reply(v.reply);
    d.docs(v.docs);
    if (s.error) d.error(s.error);
    return d.hex();
  }
}

/** Documents of a reply decoded as the reply would have been (wire-pool.ts, target.ts). */
const DOC_BSON = Object.freeze({ promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true, validation: { utf8: false } } as const);

/** The open logical cursors of one recorded connection, by recorded cursor id. */
export class CursorTable {
  private readonly byId = new Map<string, LogicalCursor>();
  /** An opener whose recorded reply is unknown (digest-only) was drained at once, so getMores of it are expected. */
  private drainedUnknown = false;

  get size(): number {
    return this.byId.size;
  }

  /**
   * A cursor whose opener was just sent: true when it stays open under production's
   * cursor id; false when its logical result is whole now (production's cursor was
   * exhausted at once, or its reply is unknown) and it is to be finished with a drain.
   */
  track(cursor: LogicalCursor): boolean {
    const rid = cursor.recordedOpen();
    if (rid) {
      cursor.key = rid.toString();
      this.byId.set(cursor.key, cursor);
      return true;
    }
    if (rid === undefined) this.drainedUnknown = true;
    return false;
  }

  /** The cursor a recorded getMore continues, or why the getMore is skipped. */
  forGetMore(recordedId: unknown): LogicalCursor | CursorSkip {
    const rid = cursorId(recordedId);
    const cursor = rid ? this.byId.get(rid.toString()) : undefined;
    return cursor ?? (this.drainedUnknown ? 'getmore-of-drained-cursor' : 'orphan-getmore');
  }

  /** Takes a cursor out of the table: its logical result is ending. */
  end(cursor: LogicalCursor): void {
    if (cursor.key !== undefined) this.byId.delete(cursor.key);
    cursor.key = undefined;
  }

  /** The cursors a recorded killCursors names, out of the table (to be finished with a kill); empty when none is open. */
  kill(recordedIds: unknown): LogicalCursor[] {
    const ids = Array.isArray(recordedIds) ? (recordedIds as unknown[]) : [];
    const found: LogicalCursor[] = [];
    for (const raw of ids) {
      const rid = cursorId(raw);
      const cursor = rid ? this.byId.get(rid.toString()) : undefined;
      if (!cursor) continue;
      this.end(cursor);
      found.push(cursor);
    }
    return found;
  }

  /** Every cursor still open (the capture or the run ended), out of the table, in opening order. */
  takeAll(): LogicalCursor[] {
    const all = [...this.byId.values()];
    this.byId.clear();
    for (const c of all) c.key = undefined;
    return all;
  }
}

/** A cursor id as a Long, or null for 0 / absent / not a number. */
export function cursorId(value: unknown): BSON.Long | null {
  if (value === undefined || value === null) return null;
  let id: BSON.Long;
  if (value instanceof BSON.Long) id = value;
  else if (typeof value === 'number' || typeof value === 'bigint') id = BSON.Long.fromBigInt(BigInt(value));
  else if ((value as { _bsontype?: string })._bsontype === 'Long') id = BSON.Long.fromString(String(value));
  else return null;
  return id.isZero() ? null : id;
}
