import type { BSON } from 'mongodb';
import type { OperationRecord } from '../model/record.ts';
import { shapeOf, type Shape } from '../model/shape.ts';
import { newHistogram, recordUs } from '../model/histogram.ts';
import type { OperationOutcome, TargetOutcome } from '../model/run/outcome.ts';
import { emptyCounts, type HistogramEntry, type RunCounts } from '../model/run/files.ts';
import { OutcomeDigest } from './digest.ts';
import type { SendResult } from './target.ts';

export type OutcomeSink = (outcome: OperationOutcome) => void | Promise<void>;

/**
 * Where a replay's results go: the counts, the latency histograms (target × app ×
 * command × shape) and one outcome per logical operation handed to the sink. Outcomes
 * keep full replies only where targets disagree; a warm-up pass (`measure` false)
 * counts and hands nothing on.
 */
export class OutcomeLog {
  readonly counts: RunCounts = emptyCounts();
  readonly histograms = new Map<string, HistogramEntry>();

  constructor(
    /** Target names, in target order. */
    private readonly names: readonly string[],
    private readonly measure: boolean,
    private readonly sink: OutcomeSink,
  ) {
    for (const t of names) this.counts.perTarget[t] = { ok: 0, error: 0, unavailable: 0, skipped: 0 };
  }

  /** Records handled so far: outcomes, getMores folded into them, and skipped records. */
  get done(): number {
    let skipped = 0;
    for (const n of Object.values(this.counts.skipped)) skipped += n;
    return this.counts.outcomes + this.counts.folded + skipped;
  }

  latency(target: string, rec: OperationRecord, shape: Shape, us: number): void {
    if (!this.measure) return;
    const app = rec.app ?? '';
    const key = `${target}\u0000${app}\u0000${rec.cmd}\u0000${shape.id}`;
    let entry = this.histograms.get(key);
    if (!entry) {
      entry = { target, app, cmd: rec.cmd, shape: shape.id, shapeText: shape.text, hist: newHistogram() };
      this.histograms.set(key, entry);
    }
    recordUs(entry.hist, us);
  }

  /** A record not replayed, counted by reason. Returns a promise only when the sink applies backpressure. */
  skip(rec: OperationRecord, reason: string): void | Promise<void> {
    this.counts.skipped[reason] = (this.counts.skipped[reason] ?? 0) + 1;
    if (!this.measure) return;
    const targets: Record<string, TargetOutcome> = {};
    for (const name of this.names) {
      targets[name] = { status: 'skipped', reason };
      this.counts.perTarget[name]!.skipped++;
    }
    return this.sink({ seq: rec.seq, conn: rec.conn, ...(rec.app ? { app: rec.app } : {}), db: rec.db, ...(rec.coll ? { coll: rec.coll } : {}), cmd: rec.cmd, shape: shapeOf(rec.command).id, command: rec.command, ...recordedField(recordedOf(rec)), targets });
  }

  /** One logical operation's outcome. Returns a promise only when the sink applies backpressure. */
  emit(
    rec: OperationRecord,
    shape: string,
    command: BSON.Document,
    recorded: OperationOutcome['recorded'],
    targets: Record<string, TargetOutcome>,
  ): void | Promise<void> {
    this.counts.outcomes++;
    if (!this.measure) return;
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

/**
 * Microseconds an operation took on a target: from its intended send time in recorded
 * timing (open loop, so a late send counts), from the actual send otherwise.
 */
export function latencyUs(res: SendResult, intended: number | undefined): number {
  if (res.kind === 'unavailable') return 0;
  return Math.max(0, (res.endAt - (intended ?? res.sentAt)) * 1000);
}

/** A target's outcome of a command that is whole in one reply. */
export function replyOutcome(res: Exclude<SendResult, { kind: 'unavailable' }>, us: number): TargetOutcome {
  const digest = new OutcomeDigest();
  if (res.kind === 'ok') {
    digest.reply(res.reply);
    return { status: 'ok', reply: res.reply, digest: digest.hex(), latencyUs: Math.round(us) };
  }
  digest.error(res.error);
  return { status: 'error', error: res.error, digest: digest.hex(), latencyUs: Math.round(us) };
}

/** What production answered a record, when it was recorded (in full, or its error). */
export function recordedOf(rec: OperationRecord): OperationOutcome['recorded'] {
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
