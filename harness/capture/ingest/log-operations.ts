import { canonicalCommandName } from '../../model/command-name.ts';
import type { OperationRecord } from '../../model/record.ts';
import { internalClientKind } from './internal.ts';
import { BATCH_FIELD, isPerStatement, toRecord, type LineResult, type SlowOp } from './slow-op.ts';
import type { IngestCounters } from './summary.ts';

/**
 * The stateful part of reading a log: parsed lines in, capture records out, each
 * application operation replayable once.
 *
 * Exactly once. For every update and delete statement the server pushes a child CurOp
 * and logs it by the WRITE component when it is slow; then the command's own CurOp is
 * logged by COMMAND (write_ops_exec.cpp `performUpdates`/`performDeletes`, the same from
 * 3.6 to 8.x, text and logv2 alike; inserts reuse the command's CurOp and log once). The
 * statements finish first, on the thread of their connection, so their command is the
 * next operation that connection logs:
 *
 *   [conn7] WRITE   update shop.jobs command: { q, u }       ─┐ pending on conn7
 *   [conn9] COMMAND find …                                    │ (other connections pass)
 *   [conn7] WRITE   update shop.jobs command: { q, u }       ─┤
 *   [conn7] COMMAND command shop.$cmd command: update {…}    ─┘ pair: statements `duplicate`,
 *                                                               the command replayable once
 *
 * The command keeps its `updates`/`deletes` when the log printed them (a body array);
 * when the driver sent them as an OP_MSG document sequence the log has none, and the
 * command is rebuilt from its statements. Statements whose command never comes (not
 * slow, or past the window) are replayed on their own.
 *
 * Memory is bounded: statements wait per connection, at most `MAX_PENDING` in all and
 * for at most `WINDOW_LINES` lines; beyond that the oldest connection's statements go
 * out on their own. Connections that a server opened (client metadata) are remembered
 * up to `MAX_CONNECTIONS`, oldest forgotten first.
 */
const MAX_PENDING = 10_000;
const WINDOW_LINES = 100_000;
const MAX_CONNECTIONS = 100_000;

interface Pending {
  readonly db: string;
  readonly coll: string | undefined;
  readonly cmd: string;
  readonly statements: OperationRecord[];
  lastLine: number;
}

export class LogOperations {
  private readonly pending = new Map<string, Pending>();
  private pendingCount = 0;
  private readonly internalConns = new Map<string, string>();
  private line = 0;

  constructor(
    private readonly counters: IngestCounters,
    private readonly app?: string,
  ) {}

  /** One parsed line; returns the records it completes, in order. */
  push(r: LineResult): OperationRecord[] {
    this.line++;
    const out: OperationRecord[] = [];
    this.expire(out);
    if (r.kind === 'client') {
      const kind = internalClientKind(r.metadata);
      this.internalConns.delete(r.conn);
      if (kind) {
        this.internalConns.set(r.conn, kind);
        if (this.internalConns.size > MAX_CONNECTIONS) this.internalConns.delete(this.internalConns.keys().next().value!);
      }
    } else if (r.kind === 'restart') {
      // Connection numbers start again: nothing pending can pair across a restart.
      for (const conn of [...this.pending.keys()]) this.flush(conn, out);
      this.internalConns.clear();
    } else if (r.kind === 'op') this.op(r.op, out);
    return out;
  }

  /** The end of the input: statements still waiting go out on their own. */
  end(): OperationRecord[] {
    const out: OperationRecord[] = [];
    for (const conn of [...this.pending.keys()]) this.flush(conn, out);
    return out;
  }

  private op(op: SlowOp, out: OperationRecord[]): void {
    const rec = toRecord(op, 0, this.app);
    const p = this.pending.get(op.conn);
    if (isPerStatement(op)) {
      if (p && (p.db !== rec.db || p.coll !== rec.coll || p.cmd !== rec.cmd)) this.flush(op.conn, out);
      const q = this.pending.get(op.conn);
      if (q) {
        q.statements.push(rec);
        q.lastLine = this.line;
        // Keep the map ordered by last activity, so the oldest is first.
        this.pending.delete(op.conn);
        this.pending.set(op.conn, q);
      } else this.pending.set(op.conn, { db: rec.db, coll: rec.coll, cmd: rec.cmd, statements: [rec], lastLine: this.line });
      if (++this.pendingCount > MAX_PENDING) this.flush(this.pending.keys().next().value!, out);
      return;
    }
    if (p && p.db === rec.db && p.coll === rec.coll && canonicalCommandName(rec.cmd) === p.cmd) {
      this.pending.delete(op.conn);
      this.pendingCount -= p.statements.length;
      this.emitPair(op, p.statements, out);
      return;
    }
    if (p) this.flush(op.conn, out);
    this.emit(rec, out);
  }

  /**
   * A command and the statement lines it logged before it. The statements become
   * evidence (`duplicate`); the command is the one record that replays the write.
   */
  private emitPair(op: SlowOp, statements: OperationRecord[], out: OperationRecord[]): void {
    const name = canonicalCommandName(Object.keys(op.command)[0] ?? '');
    const batch = BATCH_FIELD[name]!;
    let command = op.command;
    if (!Array.isArray(command[batch])) {
      const items = statements.map((s) => (s.command[batch] as unknown[] | undefined)?.[0]).filter((x) => x !== undefined);
      command = { ...command, [batch]: items };
    }
    const rec = toRecord({ ...op, command }, 0, this.app);
    // A statement the log cut or redacted makes the rebuilt command just as unreliable.
    const altered = statements.find((s) => s.notReplayable === 'truncated' || s.notReplayable === 'redacted');
    if (command !== op.command && altered && rec.notReplayable === undefined) rec.notReplayable = altered.notReplayable;
    rec.stats = { ...rec.stats, statementLines: statements.length };
    for (const s of statements) {
      if (s.notReplayable === undefined) s.notReplayable = 'duplicate';
      this.emit(s, out);
    }
    this.emit(rec, out);
  }

  private flush(conn: string, out: OperationRecord[]): void {
    const p = this.pending.get(conn);
    if (!p) return;
    this.pending.delete(conn);
    this.pendingCount -= p.statements.length;
    for (const s of p.statements) this.emit(s, out);
  }

  private expire(out: OperationRecord[]): void {
    for (const [conn, p] of this.pending) {
      if (this.line - p.lastLine <= WINDOW_LINES) break;
      this.flush(conn, out);
    }
  }

  private emit(rec: OperationRecord, out: OperationRecord[]): void {
    const kind = this.internalConns.get(rec.conn);
    if (kind && rec.notReplayable !== 'internal') {
      rec.notReplayable = 'internal';
      rec.stats = { ...rec.stats, internal: kind };
    }
    // Numbered as they leave: statements held for pairing must not break the order of `seq`.
    rec.seq = this.counters.records++;
    out.push(rec);
  }
}
