import type { OperationRecord } from '../model/record.ts';
import type { LogicalCursor, Outbound } from './cursors.ts';
import { rewriteCommand, type Rewritten } from './rewrite.ts';
import type { LiveTarget, SendResult } from './target.ts';

/** What the engine needs of a target (LiveTarget, target.ts; a stand-in in unit tests). */
export type ReplayTarget = Pick<LiveTarget, 'name' | 'replicaSet' | 'send'>;

/** A cursor still live at its end is read at most this many more batches per target before it is killed. */
const MAX_DRAIN_BATCHES = 10_000;

/**
 * The send path: one operation rewritten for each target (rewrite.ts) and sent to
 * every target at once, its results returned in target order for the engine to turn
 * into an outcome. Also the round trips that end a logical cursor (drain, kill).
 *
 * Per operation it allocates one array of rewrites and one of results, and nothing
 * else of its own: no closure per target, no Map, no `Promise.all` with one target
 * (the common benchmark and smoke-test case). Measured with in-process stand-in
 * targets, the whole engine costs ~12 µs of CPU per operation with one target and
 * ~16 µs with two (measured against the stand-in that answered bare `{ok: 1}`); the
 * rest of a replay's ~100 µs against real replies (README, issue 23) is reading the
 * capture, the transport, writing outcomes and the kernel. Targets of one kind share
 * one rewrite, so a command is serialised once for all of them (target.ts).
 */
export class Sender {
  /** Rewriting notes (e.g. a read preference dropped for a standalone target), counted. */
  readonly rewriteNotes = new Map<string, number>();

  constructor(
    private readonly targets: readonly ReplayTarget[],
    private readonly mapDb: ReadonlyMap<string, string>,
    /** Writes are not replayed: reads of transactions are sent outside them (rewrite.ts). */
    private readonly outsideTransactions = false,
  ) {}

  /** The record rewritten for target `i`, its notes counted. */
  rewrite(rec: OperationRecord, i: number): Rewritten {
    const target = this.targets[i]!;
    const rw = rewriteCommand(rec.db, rec.command, { mapDb: this.mapDb, replicaSet: target.replicaSet, outsideTransactions: this.outsideTransactions });
    this.countNotes(i, rw.notes);
    return rw;
  }

  private countNotes(i: number, notes: readonly string[]): void {
    for (const note of notes) {
      const key = `target ${this.targets[i]!.name}: ${note}`;
      this.rewriteNotes.set(key, (this.rewriteNotes.get(key) ?? 0) + 1);
    }
  }

  /**
   * The record rewritten for every target, in target order. Targets of the same kind
   * (replica set or not) share one rewrite, so they are sent the same command object and
   * target.ts serialises it once for all of them.
   */
  rewriteAll(rec: OperationRecord): Rewritten[] {
    const out = new Array<Rewritten>(this.targets.length);
    out[0] = this.rewrite(rec, 0);
    for (let i = 1; i < out.length; i++) {
      let j = 0;
      while (this.targets[j]!.replicaSet !== this.targets[i]!.replicaSet) j++;
      if (j < i) {
        out[i] = out[j]!;
        this.countNotes(i, out[i]!.notes);
      } else out[i] = this.rewrite(rec, i);
    }
    return out;
  }

  /**
   * Where the next multi-target send starts its walk over the targets, 0 … 2n-1: the
   * first n turns walk forwards from target `turn`, the next n backwards from `turn - n`.
   */
  private turn = 0;

  /**
   * Sends `out[i]` to target `i`, all at once, and waits for every one: results in
   * target order, null where `out[i]` is null (nothing to send there). Commands outside
   * a recorded session run in one live session per recorded connection.
   *
   * "At once" still means one after another within one event-loop turn: each send runs
   * synchronously up to its first await (serialising the command, taking its `sentAt`,
   * taking a connection), and the socket writes follow in the same order as
   * microtasks. So the target started first also writes first and, when both replies
   * are ready in the same poll, is read first; a target started later has the
   * earlier one's synchronous work inside its latency when timing runs from the
   * intended send time (recorded timing), and on a loaded machine its server starts
   * later. With the baseline always first that is a bias of fixed sign, the very thing
   * the paired latency comparison would read as a version effect. The start order
   * therefore rotates per operation, forwards then backwards (n = 3: 012, 120, 201,
   * then 021, 102, 210), so that over every 2n operations each target precedes each
   * other one equally often: forwards alone would put target 2 before target 0 in two
   * turns of three. One counter, no allocation.
   */
  async sendAll(rec: OperationRecord, out: readonly (Outbound | null)[], retry: boolean): Promise<(SendResult | null)[]> {
    const n = this.targets.length;
    if (n === 1) {
      const m = out[0];
      return [m ? await this.targets[0]!.send(m.db, m.command, { sessionKey: m.sessionKey ?? `conn:${rec.conn}`, readPreference: m.readPreference, retry, record: rec }) : null];
    }
    // Every target's latency runs from the operation's first write (wire-pool.ts SendTiming).
    const timing = { sentAt: 0 };
    const sends = new Array<Promise<SendResult> | null>(n);
    const turn = this.turn;
    this.turn = turn + 1 === 2 * n ? 0 : turn + 1;
    const step = turn < n ? 1 : n - 1; // n - 1 steps back by one, modulo n
    let i = turn < n ? turn : turn - n;
    for (let k = 0; k < n; k++) {
      const m = out[i];
      sends[i] = m ? this.targets[i]!.send(m.db, m.command, { sessionKey: m.sessionKey ?? `conn:${rec.conn}`, readPreference: m.readPreference, retry, record: rec, timing }) : null;
      i += step;
      if (i >= n) i -= n;
    }
    return Promise.all(sends);
  }

  /**
   * Ends a logical cursor on every target: with `drain`, reads each live side to its end
   * (when production read its cursor to the end); then kills what is still live.
   */
  async close(cursor: LogicalCursor, drain: boolean): Promise<void> {
    const closing = new Array<Promise<void>>(this.targets.length);
    for (let i = 0; i < closing.length; i++) closing[i] = this.closeSide(cursor, i, drain);
    await Promise.all(closing);
  }

  private async closeSide(cursor: LogicalCursor, i: number, drain: boolean): Promise<void> {
    const t = this.targets[i]!;
    for (let n = 0; drain && n < MAX_DRAIN_BATCHES; n++) {
      const m = cursor.drainFor(i);
      if (!m) break;
      cursor.drained(i, await t.send(m.db, m.command, { sessionKey: m.sessionKey, retry: true }));
    }
    const kill = cursor.killFor(i);
    if (kill) await t.send(kill.db, kill.command, { sessionKey: kill.sessionKey, retry: false });
  }
}
