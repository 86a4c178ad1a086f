import { createHash } from 'node:crypto';
import type { OperationRecord, RecordSink } from '../model/record.ts';
import type { GovernorRefusal } from './governor.ts';

/**
 * Why a record of production's traffic was not mirrored at all. `at-stop`: still waiting
 * when shadow stopped, or arriving after. `host-busy`: the host had no idle CPU
 * (governor.ts). `mirror-cpu`: the mirror thread had used its CPU share (governor.ts).
 * `queue-full`: `--queue` records wait, or the oldest has waited a quarter of `--max-lag`.
 */
export type FeedDrop = 'sampled-out' | GovernorRefusal | 'queue-full' | 'at-stop';

export interface Sampling {
  /** Share of the traffic mirrored, 0 < rate ≤ 1. */
  readonly rate: number;
  /**
   * `connection`: whole connections are mirrored or not (a stable hash of the connection
   * id), so cursors, sessions and per-connection order stay whole. `operation`: each
   * operation is drawn on its own; a getMore or killCursors follows its opener's draw.
   */
  readonly by: 'connection' | 'operation';
}

export interface FeedStatus {
  /** Records production's traffic produced (every operation the proxy decoded). */
  readonly seen: number;
  /** Records handed to the mirror. */
  readonly queued: number;
  /** Records waiting for the mirror now. */
  readonly waiting: number;
  readonly dropped: Readonly<Record<FeedDrop, number>>;
}

/**
 * Between the proxy and the mirror: the proxy's record sink on one side (it never waits:
 * a full queue drops the record and counts it), an async iterable of records for the
 * replay engine on the other. Sampling happens here, before anything is queued. A record
 * file (`--record`) gets every record, sampled or not.
 */
export class RecordFeed implements RecordSink, AsyncIterable<OperationRecord> {
  private readonly queue: OperationRecord[] = [];
  private head = 0;
  private wake?: () => void;
  private ended = false;
  private seen = 0;
  private queued = 0;
  private readonly drops: Record<FeedDrop, number> = { 'sampled-out': 0, 'host-busy': 0, 'mirror-cpu': 0, 'queue-full': 0, 'at-stop': 0 };
  /** Operation sampling: the recorded cursors whose opener was mirrored, `conn\0id`. */
  private readonly cursors = new Set<string>();
  /** Connection sampling: each connection's draw. */
  private readonly draws = new Map<string, boolean>();

  constructor(
    private readonly sampling: Sampling,
    /** Records waiting for the mirror at most; past it new ones are dropped. */
    private readonly capacity: number,
    private readonly tee?: RecordSink,
    /** A uniform draw in [0, 1) (tests pass their own). */
    private readonly random: () => number = Math.random,
    /** Why the host cannot take one more mirrored operation now (governor.ts), or undefined when it can; always can, when absent. */
    private readonly governs: () => GovernorRefusal | undefined = () => undefined,
    /**
     * The queue also counts as full once its oldest record has waited this long since its
     * request (ms): the mirror is then behind, and what it takes now would be compared late.
     */
    private readonly maxWaitMs = Infinity,
    /** The clock of records' `t` (epoch µs); tests pass their own. */
    private readonly nowUs: () => number = () => Date.now() * 1000,
  ) {}

  get dropped(): number {
    return this.drops['host-busy'] + this.drops['mirror-cpu'] + this.drops['queue-full'] + this.drops['at-stop'];
  }

  /**
   * Before an operation of connection `conn` is even decoded (DecoderContext.admit): false
   * when it would be dropped whatever it is (shadow stopping, its connection sampled out,
   * the host busy, the queue full); the drop is counted here, and the operation costs no
   * decoding. Only without a record file, which takes every operation.
   */
  admit(conn: string): boolean {
    const reason = this.refusal(() => this.sampling.rate >= 1 || this.sampling.by !== 'connection' || this.connectionSampled(conn));
    if (reason === undefined) return true;
    this.seen++;
    this.drops[reason]++;
    return false;
  }

  write(rec: OperationRecord): boolean {
    this.seen++;
    this.tee?.write(rec);
    const reason = this.refusal(() => this.sampled(rec));
    if (reason !== undefined) {
      this.drops[reason]++;
      return true;
    }
    this.queue.push(rec);
    this.queued++;
    const w = this.wake;
    this.wake = undefined;
    w?.();
    return true;
  }

  /**
   * No more records: the iteration ends once the queue is empty, or at once with
   * `discard` (shadow stopping: what still waits is dropped and counted `at-stop`, so a
   * mirror that is behind does not hold the stop for its whole backlog). The tee is
   * closed by its owner.
   */
  async close(discard = false): Promise<void> {
    this.ended = true;
    if (discard) {
      this.drops['at-stop'] += this.queue.length - this.head;
      this.queue.length = 0;
      this.head = 0;
    }
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  status(): FeedStatus {
    return { seen: this.seen, queued: this.queued, waiting: this.queue.length - this.head, dropped: { ...this.drops } };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<OperationRecord> {
    for (;;) {
      if (this.head < this.queue.length) {
        const rec = this.queue[this.head]!;
        this.queue[this.head++] = undefined as unknown as OperationRecord;
        if (this.head > 4096 && this.head * 2 > this.queue.length) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
        yield rec;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /**
   * Why an operation is not to be mirrored, in this order: shadow stopping, sampled out
   * (`sampled` is asked only while shadow runs: operation sampling remembers cursors),
   * the governor's refusal, the queue full. Undefined: it is mirrored.
   */
  private refusal(sampled: () => boolean): FeedDrop | undefined {
    if (this.ended) return 'at-stop';
    if (!sampled()) return 'sampled-out';
    return this.governs() ?? (this.full() ? 'queue-full' : undefined);
  }

  /** Full: `capacity` records wait, or the oldest has waited `maxWaitMs`. */
  private full(): boolean {
    const waiting = this.queue.length - this.head;
    if (waiting >= this.capacity) return true;
    return waiting > 0 && this.nowUs() - this.queue[this.head]!.t > this.maxWaitMs * 1000;
  }

  /** A connection's draw, remembered (a hash per operation would cost more than the decoding it saves). */
  private connectionSampled(conn: string): boolean {
    let sampled = this.draws.get(conn);
    if (sampled === undefined) {
      if (this.draws.size >= 100_000) this.draws.clear();
      sampled = connectionDraw(conn) < this.sampling.rate;
      this.draws.set(conn, sampled);
    }
    return sampled;
  }

  private sampled(rec: OperationRecord): boolean {
    const { rate, by } = this.sampling;
    if (rate >= 1) return true;
    if (by === 'connection') return this.connectionSampled(rec.conn);
    const c = rec.command;
    if ('getMore' in c) {
      const key = `${rec.conn}\u0000${String(c.getMore)}`;
      if (!this.cursors.has(key)) return false;
      if (cursorIdOf(rec) === '0') this.cursors.delete(key);
      return true;
    }
    if ('killCursors' in c) {
      const ids = Array.isArray(c.cursors) ? (c.cursors as unknown[]).map((id) => `${rec.conn}\u0000${String(id)}`) : [];
      const any = ids.some((k) => this.cursors.has(k));
      for (const k of ids) this.cursors.delete(k);
      return any;
    }
    if (this.random() >= rate) return false;
    const id = cursorIdOf(rec);
    // Bounded: a client that never closes its cursors must not grow this set without end.
    if (id !== undefined && id !== '0' && this.cursors.size < 100_000) this.cursors.add(`${rec.conn}\u0000${id}`);
    return true;
  }
}

/** A connection's stable draw in [0, 1): the same connection id always gets the same one. */
export function connectionDraw(conn: string): number {
  return createHash('sha1').update(conn).digest().readUInt32BE(0) / 2 ** 32;
}

/** The cursor id production's reply opened or continued, as a string; undefined without a cursor. */
function cursorIdOf(rec: OperationRecord): string | undefined {
  const doc = rec.reply?.mode === 'full' ? rec.reply.doc : undefined;
  const cursor = doc?.cursor as { id?: unknown } | undefined;
  return cursor && cursor.id !== undefined && cursor.id !== null ? String(cursor.id) : undefined;
}
