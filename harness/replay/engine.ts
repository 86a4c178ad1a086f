import { BSON } from 'mongodb';
import pLimit from 'p-limit';
import type { OperationRecord } from '../model/record.ts';
import { shapeOf } from '../model/shape.ts';
import { classify, type CommandKind } from './classify.ts';
import { OutcomeDigest } from './digest.ts';
import { newHistogram, recordUs, type LatencyHistogram } from '../model/histogram.ts';
import type { OperationOutcome, OutcomeError, TargetOutcome } from '../model/run/outcome.ts';
import { rewriteCommand, type Rewritten } from './rewrite.ts';
import { Scheduler } from './scheduler.ts';
import { emptyCounts, type HistogramEntry, type RunCounts } from '../model/run/files.ts';
import { inShard, type ShardSpec } from './shard.ts';
import { type LiveTarget, type SendResult } from './target.ts';

/**
 * The replay engine: turns a stream of capture records into outcomes.
 *
 *   records ──► per-connection queues ──► one worker per connection (order kept)
 *                 (bounded read-ahead)       │  fast: at most N workers (p-limit)
 *                                            │  recorded: every worker, paced by the clock
 *                                            ▼
 *                          each op sent to every target at once, awaited together
 *                                            ▼
 *                    outcome (cursors: once the logical result is whole) ──► sink
 *
 * Sending one op to all targets together and waiting for all keeps outcomes of one
 * operation together without a join buffer (memory stays flat); the cost is that a
 * slow target slows its connection's next op on the others, which open-loop timing
 * absorbs by measuring latency from the intended send time.
 */
export interface EngineOptions {
  readonly timing: 'fast' | 'recorded';
  readonly speed: number;
  readonly concurrency: number;
  readonly allowWrites: boolean;
  readonly mapDb: ReadonlyMap<string, string>;
  readonly shard?: ShardSpec;
  /** False for the warm-up pass: nothing is recorded, writes are never sent. */
  readonly measure: boolean;
  readonly signal?: AbortSignal;
  /** Documents kept per target per cursor; beyond it only the digest and count go on. */
  readonly maxCursorDocs?: number;
}

export interface EngineResult {
  readonly counts: RunCounts;
  readonly histograms: ReadonlyMap<string, HistogramEntry>;
  readonly scheduleLag?: LatencyHistogram;
  readonly interrupted: boolean;
  /** Rewriting notes with how many operations each concerned. */
  readonly notes: readonly string[];
}


export type OutcomeSink = (outcome: OperationOutcome) => void | Promise<void>;

/** Read-ahead bounds: the reader pauses at HIGH buffered records and resumes at LOW. */
const HIGH_WATER = 20_000;
const LOW_WATER = 10_000;
const MAX_DRAIN_BATCHES = 10_000;
/** Recorded timing starts this far ahead, so the first ops are not late by set-up time. */
const SCHEDULE_LEAD_MS = 20;
/** Recorded timing: how far ahead of the schedule the capture is read. */
const READ_AHEAD_MS = 100;

interface CursorSide {
  live: BSON.Long | null;
  status: 'ok' | 'error' | 'unavailable';
  reply?: BSON.Document;
  docs: BSON.Document[];
  docsCount: number;
  digest: OutcomeDigest;
  latencyUs: number;
  error?: OutcomeError;
  reason?: string;
  sessionKey?: string;
  db: string;
  coll: string;
}

interface PendingCursor {
  readonly rec: OperationRecord;
  readonly command: BSON.Document;
  readonly shape: string;
  readonly sides: Map<string, CursorSide>;
  recordedReply?: BSON.Document;
  recordedDocs?: BSON.Document[];
  recordedOpen: boolean;
}

interface ConnState {
  readonly queue: OperationRecord[];
  head: number;
  running: boolean;
  readonly cursors: Map<string, PendingCursor>;
  /** An opener whose recorded cursor id is unknown (digest-only reply) was drained at once. */
  drainedUnknown: boolean;
}

export class ReplayEngine {
  readonly counts: RunCounts = emptyCounts();
  private readonly histograms = new Map<string, HistogramEntry>();
  private readonly lag?: LatencyHistogram;
  private readonly conns = new Map<string, ConnState>();
  private readonly workers = new Set<Promise<void>>();
  private readonly limit: ReturnType<typeof pLimit>;
  private buffered = 0;
  private resumeReader?: () => void;
  private firstT?: number;
  private startAt = 0;
  private readonly maxDocs: number;
  /** Recorded timing: one timer loop releases every waiting operation (see scheduler.ts). */
  private readonly scheduler = new Scheduler();
  /** Rewriting notes (e.g. a read preference dropped for a standalone target), counted. */
  readonly rewriteNotes = new Map<string, number>();

  constructor(
    private readonly targets: readonly LiveTarget[],
    private readonly options: EngineOptions,
    private readonly sink: OutcomeSink,
  ) {
    this.limit = pLimit(options.timing === 'fast' ? Math.max(1, options.concurrency) : Number.POSITIVE_INFINITY);
    this.maxDocs = options.maxCursorDocs ?? 10_000;
    if (options.timing === 'recorded' && options.measure) this.lag = newHistogram();
    for (const t of targets) this.counts.perTarget[t.name] = { ok: 0, error: 0, unavailable: 0, skipped: 0 };
  }

  get done(): number {
    return this.counts.outcomes + this.counts.folded + sum(this.counts.skipped);
  }

  async run(records: AsyncIterable<OperationRecord>): Promise<EngineResult> {
    const signal = this.options.signal;
    for await (const rec of records) {
      if (signal?.aborted) break;
      if (!inShard(rec.conn, this.options.shard)) continue;
      if (this.firstT === undefined) {
        this.firstT = rec.t;
        this.startAt = performance.now() + SCHEDULE_LEAD_MS;
      }
      let conn = this.conns.get(rec.conn);
      if (!conn) {
        conn = { queue: [], head: 0, running: false, cursors: new Map(), drainedUnknown: false };
        this.conns.set(rec.conn, conn);
      }
      conn.queue.push(rec);
      this.buffered++;
      if (!conn.running) this.startWorker(conn);
      if (this.buffered >= HIGH_WATER) await new Promise<void>((r) => (this.resumeReader = r));
      // Recorded timing: read no further ahead than READ_AHEAD_MS of schedule. Reading (inflate +
      // decode) the whole read-ahead window at once took the CPU the first sends needed: measured,
      // the first ~3,000 ops of a 2,000 ops/s replay went out up to 600 ms late.
      if (this.options.timing === 'recorded') {
        const at = this.intendedAt(rec) - READ_AHEAD_MS;
        if (at > performance.now()) await this.scheduler.until(at);
      }
    }
    while (this.workers.size > 0) await Promise.all([...this.workers]);
    // Cursors still open when the capture (or the run) ended: close them and keep what was read.
    for (const conn of this.conns.values()) {
      for (const [id, pending] of conn.cursors) {
        conn.cursors.delete(id);
        await this.finishCursor(pending, false);
      }
    }
    const notes = [...this.rewriteNotes].map(([note, n]) => `${note} (${n} operation${n === 1 ? '' : 's'})`);
    return { counts: this.counts, histograms: this.histograms, scheduleLag: this.lag, interrupted: signal?.aborted ?? false, notes };
  }

  private startWorker(conn: ConnState): void {
    conn.running = true;
    const p = this.limit(() => this.drain(conn)).finally(() => this.workers.delete(p));
    this.workers.add(p);
  }

  private async drain(conn: ConnState): Promise<void> {
    try {
      while (conn.head < conn.queue.length && !this.options.signal?.aborted) {
        const rec = conn.queue[conn.head]!;
        conn.queue[conn.head++] = undefined as unknown as OperationRecord;
        if (conn.head > 1024 && conn.head * 2 > conn.queue.length) {
          conn.queue.splice(0, conn.head);
          conn.head = 0;
        }
        this.buffered--;
        if (this.resumeReader && this.buffered <= LOW_WATER) {
          const r = this.resumeReader;
          this.resumeReader = undefined;
          r();
        }
        await this.process(rec, conn);
      }
    } finally {
      conn.running = false;
      if (this.options.signal?.aborted) {
        // Release the reader so the run can end.
        this.resumeReader?.();
        this.resumeReader = undefined;
      }
    }
  }

  private async process(rec: OperationRecord, conn: ConnState): Promise<void> {
    this.counts.records++;
    if (rec.notReplayable) return this.skip(rec, rec.notReplayable);
    const kind = classify(rec.cmd, rec.command);
    if (kind === 'handshake') return this.skip(rec, 'handshake');
    if (kind === 'session') return this.skip(rec, 'session-command');
    if (kind === 'write' && (!this.options.allowWrites || !this.options.measure)) return this.skip(rec, 'writes-not-allowed');
    // Fast timing does not await at all: every await is a microtask turn per operation.
    const intended = this.options.timing === 'recorded' ? await this.waitForSchedule(rec) : undefined;
    switch (kind) {
      case 'get-more':
        return this.getMore(rec, conn, intended);
      case 'kill-cursors':
        return this.killCursors(rec, conn);
      case 'cursor-open':
        return this.openCursor(rec, conn, intended);
      default:
        return this.simple(rec, kind, intended);
    }
  }

  /** Recorded timing: waits until the op's intended send time; returns it (undefined in fast mode). */
  private async waitForSchedule(rec: OperationRecord): Promise<number | undefined> {
    if (this.options.timing !== 'recorded' || this.firstT === undefined) return undefined;
    const intended = this.intendedAt(rec);
    if (intended > performance.now()) await this.scheduler.until(intended);
    if (this.lag) recordUs(this.lag, (performance.now() - intended) * 1000);
    return intended;
  }

  private intendedAt(rec: OperationRecord): number {
    return this.startAt + (rec.t - this.firstT!) / 1000 / this.options.speed;
  }

  private rewriteFor(rec: OperationRecord, target: LiveTarget): Rewritten {
    const rw = rewriteCommand(rec.db, rec.command, { mapDb: this.options.mapDb, replicaSet: target.replicaSet });
    for (const note of rw.notes) {
      const key = `target ${target.name}: ${note}`;
      this.rewriteNotes.set(key, (this.rewriteNotes.get(key) ?? 0) + 1);
    }
    return rw;
  }

  private async sendAll(
    rec: OperationRecord,
    build: (t: LiveTarget) => { db: string; command: BSON.Document; sessionKey?: string; readPreference?: BSON.Document } | null,
    retry: boolean,
  ): Promise<Map<string, SendResult | null>> {
    const results = new Map<string, SendResult | null>();
    if (this.targets.length === 1) {
      // One target (the common benchmark and smoke-test case): no closures, no Promise.all.
      const t = this.targets[0]!;
      const msg = build(t);
      results.set(
        t.name,
        msg ? await t.send(msg.db, msg.command, { sessionKey: msg.sessionKey ?? `conn:${rec.conn}`, readPreference: msg.readPreference, retry }) : null,
      );
      return results;
    }
    await Promise.all(
      this.targets.map(async (t) => {
        const msg = build(t);
        if (!msg) {
          results.set(t.name, null);
          return;
        }
        const res = await t.send(msg.db, msg.command, {
          sessionKey: msg.sessionKey ?? `conn:${rec.conn}`,
          readPreference: msg.readPreference,
          retry,
        });
        results.set(t.name, res);
      }),
    );
    return results;
  }

  private latency(res: SendResult, intended: number | undefined): number {
    if (res.kind === 'unavailable') return 0;
    return Math.max(0, (res.endAt - (intended ?? res.sentAt)) * 1000);
  }

  private recordLatency(target: string, rec: OperationRecord, shape: { id: string; text: string }, us: number): void {
    if (!this.options.measure) return;
    const app = rec.app ?? '';
    const key = `${target}\u0000${app}\u0000${rec.cmd}\u0000${shape.id}`;
    let entry = this.histograms.get(key);
    if (!entry) {
      entry = { target, app, cmd: rec.cmd, shape: shape.id, shapeText: shape.text, hist: newHistogram() };
      this.histograms.set(key, entry);
    }
    recordUs(entry.hist, us);
  }

  private async simple(rec: OperationRecord, kind: CommandKind, intended: number | undefined): Promise<void> {
    const shape = shapeOf(rec.command);
    let sent: BSON.Document | undefined;
    const results = await this.sendAll(
      rec,
      (t) => {
        const rw = this.rewriteFor(rec, t);
        sent ??= rw.command;
        return rw;
      },
      kind !== 'write',
    );
    const targets: Record<string, TargetOutcome> = {};
    for (const t of this.targets) {
      const res = results.get(t.name)!;
      if (res.kind === 'unavailable') {
        targets[t.name] = { status: 'unavailable', reason: res.reason };
        continue;
      }
      const us = this.latency(res, intended);
      this.recordLatency(t.name, rec, shape, us);
      const digest = new OutcomeDigest();
      if (res.kind === 'ok') {
        digest.reply(res.reply);
        targets[t.name] = { status: 'ok', reply: res.reply, digest: digest.hex(), latencyUs: Math.round(us) };
      } else {
        digest.error(res.error);
        targets[t.name] = { status: 'error', error: res.error, digest: digest.hex(), latencyUs: Math.round(us) };
      }
    }
    const recorded = recordedOf(rec);
    const written = this.emit(rec, shape.id, sent ?? rec.command, recorded, targets);
    if (written) await written;
  }

  private async openCursor(rec: OperationRecord, conn: ConnState, intended: number | undefined): Promise<void> {
    const shape = shapeOf(rec.command);
    let sent: BSON.Document | undefined;
    const rws = new Map<string, Rewritten>();
    const results = await this.sendAll(
      rec,
      (t) => {
        const rw = this.rewriteFor(rec, t);
        rws.set(t.name, rw);
        sent ??= rw.command;
        return rw;
      },
      true,
    );
    const pending: PendingCursor = { rec, command: sent ?? rec.command, shape: shape.id, sides: new Map(), recordedOpen: false };
    for (const t of this.targets) {
      const res = results.get(t.name)!;
      const rw = rws.get(t.name)!;
      const side: CursorSide = {
        live: null,
        status: 'ok',
        docs: [],
        docsCount: 0,
        digest: new OutcomeDigest(),
        latencyUs: 0,
        sessionKey: rw.sessionKey ?? `conn:${rec.conn}`,
        db: rw.db,
        coll: rec.coll ?? '',
      };
      pending.sides.set(t.name, side);
      if (res.kind === 'unavailable') {
        side.status = 'unavailable';
        side.reason = res.reason;
        continue;
      }
      const us = this.latency(res, intended);
      side.latencyUs += us;
      this.recordLatency(t.name, rec, shape, us);
      if (res.kind === 'error') {
        side.status = 'error';
        side.error = res.error;
        side.digest.error(res.error);
        continue;
      }
      const cursor = res.reply.cursor as BSON.Document | undefined;
      const batch = (cursor?.firstBatch as BSON.Document[] | undefined) ?? [];
      side.reply = cursor ? { ...res.reply, cursor: { ...cursor, firstBatch: [] } } : res.reply;
      side.digest.reply(side.reply);
      this.addDocs(side, batch);
      side.live = cursorId(cursor?.id);
      const ns = typeof cursor?.ns === 'string' ? cursor.ns : '';
      if (ns.includes('.')) side.coll = ns.slice(ns.indexOf('.') + 1);
    }
    // What production answered: its cursor id links the recorded getMores to this opener.
    const rrep = rec.reply?.mode === 'full' ? rec.reply.doc : undefined;
    const rcursor = rrep?.cursor as BSON.Document | undefined;
    if (rrep) {
      pending.recordedReply = rcursor ? { ...rrep, cursor: { ...rcursor, firstBatch: [] } } : rrep;
      pending.recordedDocs = ((rcursor?.firstBatch as BSON.Document[] | undefined) ?? []).slice(0, this.maxDocs);
    }
    const rid = cursorId(rcursor?.id);
    if (rid) {
      pending.recordedOpen = true;
      conn.cursors.set(rid.toString(), pending);
      return;
    }
    if (!rrep) conn.drainedUnknown = true;
    // Recorded cursor exhausted at once (or unknown): the logical result is the whole cursor.
    await this.finishCursor(pending, true);
  }

  private async getMore(rec: OperationRecord, conn: ConnState, intended: number | undefined): Promise<void> {
    const rid = cursorId(rec.command.getMore);
    const pending = rid ? conn.cursors.get(rid.toString()) : undefined;
    if (!pending) return this.skip(rec, conn.drainedUnknown ? 'getmore-of-drained-cursor' : 'orphan-getmore');
    this.counts.folded++;
    const shape = shapeOf(rec.command);
    const results = await this.sendAll(
      rec,
      (t) => {
        const side = pending.sides.get(t.name)!;
        if (!side.live) return null;
        const rw = this.rewriteFor(rec, t);
        return { ...rw, db: side.db, command: { ...rw.command, getMore: side.live }, sessionKey: side.sessionKey };
      },
      true,
    );
    for (const t of this.targets) this.applyGetMore(pending.sides.get(t.name)!, results.get(t.name)!, intended, t.name, rec, shape);
    const rrep = rec.reply?.mode === 'full' ? rec.reply.doc : undefined;
    const rcursor = rrep?.cursor as BSON.Document | undefined;
    if (rcursor && pending.recordedDocs) {
      const batch = (rcursor.nextBatch as BSON.Document[] | undefined) ?? [];
      for (const d of batch) if (pending.recordedDocs.length < this.maxDocs) pending.recordedDocs.push(d);
    }
    if (rrep && (!rcursor || !cursorId(rcursor.id))) {
      conn.cursors.delete(rid!.toString());
      await this.finishCursor(pending, true);
    }
  }

  private applyGetMore(
    side: CursorSide,
    res: SendResult | null,
    intended: number | undefined,
    target: string,
    rec: OperationRecord,
    shape: { id: string; text: string },
  ): void {
    if (!res) return;
    if (res.kind === 'unavailable') {
      side.status = 'unavailable';
      side.reason = res.reason;
      side.live = null;
      return;
    }
    const us = this.latency(res, intended);
    side.latencyUs += us;
    if (rec) this.recordLatency(target, rec, shape, us);
    if (res.kind === 'error') {
      side.status = 'error';
      side.error = res.error;
      side.digest.error(res.error);
      side.live = null;
      return;
    }
    const cursor = res.reply.cursor as BSON.Document | undefined;
    this.addDocs(side, (cursor?.nextBatch as BSON.Document[] | undefined) ?? []);
    side.live = cursorId(cursor?.id);
  }

  private async killCursors(rec: OperationRecord, conn: ConnState): Promise<void> {
    const ids = Array.isArray(rec.command.cursors) ? (rec.command.cursors as unknown[]) : [];
    let found = false;
    for (const raw of ids) {
      const rid = cursorId(raw);
      const pending = rid ? conn.cursors.get(rid.toString()) : undefined;
      if (!pending) continue;
      found = true;
      conn.cursors.delete(rid!.toString());
      await this.finishCursor(pending, false);
    }
    if (found) this.counts.folded++;
    else this.skip(rec, 'orphan-killcursors');
  }

  /** Ends a logical cursor result: drains (when the recorded cursor was read to its end) or kills live cursors, then emits. */
  private async finishCursor(pending: PendingCursor, drain: boolean): Promise<void> {
    let open = false;
    for (const side of pending.sides.values()) if (side.live) open = true;
    // Most cursors are exhausted in their first batch: nothing to drain or kill on any target.
    if (open) await this.closeSides(pending, drain);
    const written = this.emitCursor(pending);
    if (written) await written;
  }

  private async closeSides(pending: PendingCursor, drain: boolean): Promise<void> {
    await Promise.all(
      this.targets.map(async (t) => {
        const side = pending.sides.get(t.name)!;
        for (let i = 0; drain && side.live && i < MAX_DRAIN_BATCHES; i++) {
          const res = await t.send(side.db, { getMore: side.live, collection: side.coll }, { sessionKey: side.sessionKey, retry: true });
          // Drain round trips belong to the logical result's latency, not to a recorded getMore's histogram.
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
            const cursor = res.reply.cursor as BSON.Document | undefined;
            this.addDocs(side, (cursor?.nextBatch as BSON.Document[] | undefined) ?? []);
            side.live = cursorId(cursor?.id);
          }
        }
        if (side.live) {
          await t.send(side.db, { killCursors: side.coll, cursors: [side.live] }, { sessionKey: side.sessionKey, retry: false });
          side.live = null;
        }
      }),
    );
  }

  private emitCursor(pending: PendingCursor): void | Promise<void> {
    const targets: Record<string, TargetOutcome> = {};
    for (const t of this.targets) {
      const s = pending.sides.get(t.name)!;
      if (s.status === 'unavailable') {
        targets[t.name] = { status: 'unavailable', reason: s.reason };
        continue;
      }
      targets[t.name] = {
        status: s.status,
        ...(s.reply ? { reply: s.reply, docs: s.docs } : {}),
        ...(s.docsCount !== s.docs.length ? { docsCount: s.docsCount } : {}),
        ...(s.error ? { error: s.error } : {}),
        digest: s.digest.hex(),
        latencyUs: Math.round(s.latencyUs),
      };
    }
    const rec = pending.rec;
    const recorded = pending.recordedReply
      ? { reply: pending.recordedReply, docs: pending.recordedDocs, durUs: rec.dur }
      : recordedOf(rec);
    return this.emit(rec, pending.shape, pending.command, recorded, targets);
  }

  private addDocs(side: CursorSide, batch: readonly BSON.Document[]): void {
    side.digest.docs(batch);
    side.docsCount += batch.length;
    for (const d of batch) if (side.docs.length < this.maxDocs) side.docs.push(d);
  }

  private async skip(rec: OperationRecord, reason: string): Promise<void> {
    this.counts.skipped[reason] = (this.counts.skipped[reason] ?? 0) + 1;
    if (!this.options.measure) return;
    const targets: Record<string, TargetOutcome> = {};
    for (const t of this.targets) {
      targets[t.name] = { status: 'skipped', reason };
      this.counts.perTarget[t.name]!.skipped++;
    }
    await this.sink({ seq: rec.seq, conn: rec.conn, ...(rec.app ? { app: rec.app } : {}), db: rec.db, ...(rec.coll ? { coll: rec.coll } : {}), cmd: rec.cmd, shape: shapeOf(rec.command).id, command: rec.command, ...recordedField(recordedOf(rec)), targets });
  }

  /** Returns a promise only when the sink applies backpressure. */
  private emit(
    rec: OperationRecord,
    shape: string,
    command: BSON.Document,
    recorded: OperationOutcome['recorded'],
    targets: Record<string, TargetOutcome>,
  ): void | Promise<void> {
    this.counts.outcomes++;
    if (!this.options.measure) return;
    const digests = new Set<string>();
    for (const [name, o] of Object.entries(targets)) {
      const c = this.counts.perTarget[name]!;
      if (o.status === 'ok') c.ok++;
      else if (o.status === 'error') c.error++;
      else if (o.status === 'unavailable') c.unavailable++;
      if (o.digest) digests.add(o.digest);
    }
    const differ = digests.size > 1;
    if (differ) this.counts.differences++;
    // Full replies only where targets disagree; digests (and errors, which are small) otherwise.
    const kept: Record<string, TargetOutcome> = {};
    for (const [name, o] of Object.entries(targets)) {
      if (differ || o.status !== 'ok') kept[name] = o;
      else {
        const { reply: _r, docs: _d, ...rest } = o;
        kept[name] = rest;
      }
    }
    return this.sink({
      seq: rec.seq,
      conn: rec.conn,
      ...(rec.app ? { app: rec.app } : {}),
      db: rec.db,
      ...(rec.coll ? { coll: rec.coll } : {}),
      cmd: rec.cmd,
      shape,
      command,
      ...recordedField(recorded),
      targets: kept,
    });
  }
}

function recordedOf(rec: OperationRecord): OperationOutcome['recorded'] {
  if (!rec.reply && !rec.error) return undefined;
  return {
    ...(rec.reply?.mode === 'full' ? { reply: rec.reply.doc } : {}),
    ...(rec.error ? { error: rec.error } : {}),
    durUs: rec.dur,
  };
}

function recordedField(recorded: OperationOutcome['recorded']): { recorded?: OperationOutcome['recorded'] } {
  return recorded ? { recorded } : {};
}

/** A cursor id as a Long, or null for 0 / absent. */
function cursorId(value: unknown): BSON.Long | null {
  if (value === undefined || value === null) return null;
  let id: BSON.Long;
  if (value instanceof BSON.Long) id = value;
  else if (typeof value === 'number' || typeof value === 'bigint') id = BSON.Long.fromBigInt(BigInt(value));
  else if ((value as { _bsontype?: string })._bsontype === 'Long') id = BSON.Long.fromString(String(value));
  else return null;
  return id.isZero() ? null : id;
}

function sum(rec: Record<string, number>): number {
  let n = 0;
  for (const v of Object.values(rec)) n += v;
  return n;
}
