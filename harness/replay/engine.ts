import pLimit from 'p-limit';
import type { OperationRecord } from '../model/record.ts';
import { shapeOf } from '../model/shape.ts';
import { newHistogram, type LatencyHistogram } from '../model/histogram.ts';
import type { HistogramEntry, RunCounts } from '../model/run/files.ts';
import { classify, type CommandKind } from './classify.ts';
import { CursorTable, LogicalCursor, type Outbound } from './cursors.ts';
import { latencyUs, OutcomeLog, recordedOf, replyOutcome, type OutcomeSink, type TargetPart } from './outcomes.ts';
import { Pacing } from './pacing.ts';
import { Sender, type ReplayTarget } from './send.ts';
import { inShard, type ShardSpec } from './shard.ts';

export type { OutcomeSink } from './outcomes.ts';

/**
 * The replay engine: turns a stream of capture records into outcomes. It coordinates;
 * the parts are apart: pacing.ts (recorded timing), send.ts (one op to every target),
 * cursors.ts (logical cursors, pure), outcomes.ts (counts, histograms, the sink).
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
  /** Records read ahead of the workers before the reader pauses (default HIGH_WATER); it resumes at half. */
  readonly readAhead?: number;
  /** Called with each record of the shard as it is read, before it is queued (run.ts notes namespaces and writes). */
  readonly observe?: (rec: OperationRecord) => void;
  /**
   * Live traffic (shadow) only: a connection with nothing queued or running and no record
   * for this long is forgotten, its cursors still open ended (killed) and emitted, so a
   * mirror that runs for days does not keep a state per connection it ever saw. Absent
   * for a capture, whose connections are bounded by the file.
   */
  readonly idleConnectionMs?: number;
}

export interface EngineResult {
  readonly counts: RunCounts;
  readonly histograms: ReadonlyMap<string, HistogramEntry>;
  readonly scheduleLag?: LatencyHistogram;
  readonly interrupted: boolean;
  /** Rewriting notes with how many operations each concerned. */
  readonly notes: readonly string[];
}

/** Read-ahead bounds: the reader pauses at HIGH buffered records and resumes at LOW. */
const HIGH_WATER = 20_000;
const LOW_WATER = 10_000;
/**
 * Fast timing needs only enough records ahead to keep every worker busy: a gunzip chunk
 * holds a few hundred. Measured on the replay bench (60,000 operations with 1 KiB
 * recorded replies, concurrency 32): peak RSS 241–253 MB with HIGH_WATER, most of it
 * decoded records waiting; 2,048 (or 16 per worker) 206–233 MB; 256 (or 8 per worker)
 * 165–180 MB in paired runs, at the same CPU per operation and ops/s. Records that wait
 * long enough to outlive two young-generation collections are moved to the old
 * generation, which then grows by their size until its next full collection.
 */
const FAST_HIGH_WATER = 256;
const FAST_PER_WORKER = 8;

interface ConnState {
  readonly queue: OperationRecord[];
  head: number;
  running: boolean;
  readonly cursors: CursorTable;
  /** The connection has carried an application command (not a handshake): its `hello`s are the app's. */
  app: boolean;
  /** performance.now() of its last record (with `idleConnectionMs` only). */
  lastAt: number;
}

/** Records between two sweeps of idle connections (with `idleConnectionMs`). */
const SWEEP_EVERY = 4_096;

export class ReplayEngine {
  private readonly log: OutcomeLog;
  private readonly sender: Sender;
  /** Recorded timing only. */
  private readonly pacing?: Pacing;
  private readonly names: readonly string[];
  private readonly conns = new Map<string, ConnState>();
  private readonly workers = new Set<Promise<void>>();
  private readonly limit: ReturnType<typeof pLimit>;
  private buffered = 0;
  private resumeReader?: () => void;
  private readonly maxDocs: number;
  private readonly highWater: number;
  private readonly lowWater: number;
  private sinceSweep = 0;

  constructor(
    targets: readonly ReplayTarget[],
    private readonly options: EngineOptions,
    sink: OutcomeSink,
  ) {
    this.limit = pLimit(options.timing === 'fast' ? Math.max(1, options.concurrency) : Number.POSITIVE_INFINITY);
    this.maxDocs = options.maxCursorDocs ?? 10_000;
    const fast = options.timing === 'fast' ? Math.max(FAST_HIGH_WATER, options.concurrency * FAST_PER_WORKER) : undefined;
    this.highWater = Math.max(1, options.readAhead ?? fast ?? HIGH_WATER);
    this.lowWater = options.readAhead === undefined && fast === undefined ? LOW_WATER : Math.floor(this.highWater / 2);
    this.names = targets.map((t) => t.name);
    this.log = new OutcomeLog(this.names, options.measure, sink);
    this.sender = new Sender(targets, options.mapDb, !options.allowWrites || !options.measure);
    if (options.timing === 'recorded') this.pacing = new Pacing(options.speed, options.measure ? newHistogram() : undefined);
  }

  get counts(): RunCounts {
    return this.log.counts;
  }

  /** Records handled so far (outcomes, folded getMores, skips): the progress figure. */
  get done(): number {
    return this.log.done;
  }

  async run(records: AsyncIterable<OperationRecord>): Promise<EngineResult> {
    const signal = this.options.signal;
    const pacing = this.pacing;
    for await (const rec of records) {
      if (signal?.aborted) break;
      if (!inShard(rec.conn, this.options.shard)) continue;
      this.options.observe?.(rec);
      pacing?.anchor(rec.t);
      let conn = this.conns.get(rec.conn);
      if (!conn) {
        conn = { queue: [], head: 0, running: false, cursors: new CursorTable(), app: false, lastAt: 0 };
        this.conns.set(rec.conn, conn);
      }
      if (this.options.idleConnectionMs !== undefined) {
        conn.lastAt = performance.now();
        if (++this.sinceSweep >= SWEEP_EVERY) this.sweepIdle(conn.lastAt, this.options.idleConnectionMs);
      }
      conn.queue.push(rec);
      this.buffered++;
      if (!conn.running) this.startWorker(conn);
      if (this.buffered >= this.highWater) await new Promise<void>((r) => (this.resumeReader = r));
      if (pacing) {
        const wait = pacing.readAhead(rec.t);
        if (wait) await wait;
      }
    }
    while (this.workers.size > 0) await Promise.all([...this.workers]);
    // Cursors still open when the capture (or the run) ended: close them and keep what was read.
    for (const conn of this.conns.values()) {
      for (const cursor of conn.cursors.takeAll()) await this.finishCursor(cursor, false);
    }
    const notes = [...this.sender.rewriteNotes].map(([note, n]) => `${note} (${n} operation${n === 1 ? '' : 's'})`);
    return { counts: this.log.counts, histograms: this.log.histograms, scheduleLag: pacing?.lag, interrupted: signal?.aborted ?? false, notes };
  }

  /** Forgets connections idle for `idleMs` (see EngineOptions.idleConnectionMs); their open cursors end as killed. */
  private sweepIdle(now: number, idleMs: number): void {
    this.sinceSweep = 0;
    for (const [id, conn] of this.conns) {
      if (conn.running || conn.head < conn.queue.length || now - conn.lastAt < idleMs) continue;
      this.conns.delete(id);
      const open = conn.cursors.takeAll();
      if (open.length === 0) continue;
      const p = (async () => {
        for (const cursor of open) await this.finishCursor(cursor, false);
      })().finally(() => this.workers.delete(p));
      this.workers.add(p);
    }
  }

  /** Connections the engine holds a state for (tests; shadow's memory). */
  get connections(): number {
    return this.conns.size;
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
        if (this.resumeReader && this.buffered <= this.lowWater) {
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
    this.log.counts.records++;
    if (rec.notReplayable) return this.log.skip(rec, rec.notReplayable);
    let kind = classify(rec.cmd, rec.command);
    if (kind === 'hello') kind = conn.app ? 'read' : 'handshake';
    if (kind === 'handshake') return this.log.skip(rec, 'handshake');
    conn.app = true;
    if (kind === 'session') return this.log.skip(rec, 'session-command');
    if (kind === 'write' && (!this.options.allowWrites || !this.options.measure)) return this.log.skip(rec, 'writes-not-allowed');
    // Fast timing does not await at all: every await is a microtask turn per operation.
    const intended = this.pacing ? await this.pacing.due(rec.t) : undefined;
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

  private async simple(rec: OperationRecord, kind: CommandKind, intended: number | undefined): Promise<void> {
    const shape = shapeOf(rec.command);
    const rws = this.sender.rewriteAll(rec);
    const results = await this.sender.sendAll(rec, rws, kind !== 'write');
    const parts = new Array<TargetPart>(this.names.length);
    for (let i = 0; i < parts.length; i++) {
      const res = results[i]!;
      if (res.kind === 'unavailable') {
        parts[i] = { outcome: { status: 'unavailable', reason: res.reason } };
        continue;
      }
      const us = latencyUs(res, intended);
      this.log.latency(this.names[i]!, rec, shape, us);
      parts[i] = replyOutcome(res, us);
    }
    const written = this.log.emit(rec, shape.id, rws[0]?.command ?? rec.command, () => recordedOf(rec), parts);
    if (written) await written;
  }

  private async openCursor(rec: OperationRecord, conn: ConnState, intended: number | undefined): Promise<void> {
    const shape = shapeOf(rec.command);
    const rws = this.sender.rewriteAll(rec);
    const results = await this.sender.sendAll(rec, rws, true);
    const cursor = new LogicalCursor(rec, rws[0]?.command ?? rec.command, shape.id, this.maxDocs);
    for (let i = 0; i < this.names.length; i++) {
      const res = results[i]!;
      const us = latencyUs(res, intended);
      if (res.kind !== 'unavailable') this.log.latency(this.names[i]!, rec, shape, us);
      cursor.opened(rws[i]!, res, us);
    }
    // Production kept its cursor open: the recorded getMores continue it.
    if (conn.cursors.track(cursor)) return;
    // Production's cursor was exhausted at once (or its reply is unknown): the logical result is the whole cursor.
    await this.finishCursor(cursor, true);
  }

  private async getMore(rec: OperationRecord, conn: ConnState, intended: number | undefined): Promise<void> {
    const cursor = conn.cursors.forGetMore(rec.command.getMore);
    if (typeof cursor === 'string') return this.log.skip(rec, cursor);
    this.log.counts.folded++;
    const shape = shapeOf(rec.command);
    const out = new Array<Outbound | null>(this.names.length);
    for (let i = 0; i < out.length; i++) out[i] = cursor.sides[i]!.live ? cursor.getMoreFor(i, this.sender.rewrite(rec, i)) : null;
    const results = await this.sender.sendAll(rec, out, true);
    for (let i = 0; i < this.names.length; i++) {
      const res = results[i]!;
      if (!res) continue;
      const us = latencyUs(res, intended);
      if (res.kind !== 'unavailable') this.log.latency(this.names[i]!, rec, shape, us);
      cursor.gotMore(i, res, us);
    }
    if (cursor.recordedGetMore(rec)) {
      conn.cursors.end(cursor);
      await this.finishCursor(cursor, true);
    }
  }

  private async killCursors(rec: OperationRecord, conn: ConnState): Promise<void> {
    const found = conn.cursors.kill(rec.command.cursors);
    if (found.length === 0) return this.log.skip(rec, 'orphan-killcursors');
    this.log.counts.folded++;
    for (const cursor of found) await this.finishCursor(cursor, false);
  }

  /** Ends a logical cursor result: drains (when the recorded cursor was read to its end) or kills live cursors, then emits. */
  private async finishCursor(cursor: LogicalCursor, drain: boolean): Promise<void> {
    // Most cursors are exhausted in their first batch: nothing to drain or kill on any target.
    if (cursor.open) await this.sender.close(cursor, drain);
    const written = this.log.emit(cursor.rec, cursor.shape, cursor.command, () => cursor.recorded(), cursor.parts());
    if (written) await written;
  }
}
