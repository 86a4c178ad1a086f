import type { BSON } from 'mongodb';
import type { OperationRecord } from '../model/record.ts';
import { shapeOf, type Shape } from '../model/shape.ts';
import { newHistogram, recordUs } from '../model/histogram.ts';
import type { OperationOutcome, TargetOutcome } from '../model/run/outcome.ts';
import { emptyCounts, type HistogramEntry, type RunCounts } from '../model/run/files.ts';
import { OutcomeDigest, replyBytesHex } from './digest.ts';
import { rawDigest } from './raw-reply.ts';
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
    // Nothing was compared: production's reply could explain no difference (see emit).
    return this.sink({ seq: rec.seq, conn: rec.conn, ...(rec.app ? { app: rec.app } : {}), db: rec.db, ...(rec.coll ? { coll: rec.coll } : {}), cmd: rec.cmd, shape: shapeOf(rec.command).id, command: rec.command, ...recordedField(recordedBrief(rec)), targets });
  }

  /**
   * One logical operation's outcome, from each target's part in target order. Returns a
   * promise only when the sink applies backpressure.
   *
   * Replies are kept in full only where targets disagree, so a part carries its reply
   * as a source to decode from (FullReply), not decoded: most operations agree and their
   * replies are never decoded (issue 23). A digest taken from a reply's bytes equals the
   * one of its decoded form for every reply a server sends; where digests differ and one
   * was taken from bytes, each is taken again from the decoded reply before deciding,
   * so "differ" means exactly what it meant when every reply was decoded.
   *
   * Production's reply (and cursor documents) is kept by the same rule: `recorded` is
   * asked for only where targets disagree or one did not answer ok, the only outcomes
   * where compare reads it (to tell a version's doing from drift since the capture).
   * Elsewhere the outcome keeps what production answered in brief (its error, its
   * duration): the capture holds the reply under the same `seq`.
   */
  emit(rec: OperationRecord, shape: string, command: BSON.Document, recorded: () => OperationOutcome['recorded'], parts: readonly TargetPart[]): void | Promise<void> {
    this.counts.outcomes++;
    if (!this.measure) return;
    const names = this.names;
    let differ = agreeing(parts) === false;
    if (differ) {
      let redone = false;
      for (const p of parts) {
        const d = p.full?.decodedDigest();
        if (d !== undefined && d !== p.outcome.digest) {
          p.outcome = { ...p.outcome, digest: d };
          redone = true;
        }
      }
      if (redone) differ = agreeing(parts) === false;
    }
    const targets: Record<string, TargetOutcome> = {};
    let allOk = true;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      const o = p.outcome;
      const c = this.counts.perTarget[names[i]!]!;
      if (o.status === 'ok') c.ok++;
      else {
        allOk = false;
        if (o.status === 'error') c.error++;
        else if (o.status === 'unavailable') c.unavailable++;
      }
      // Full replies only where targets disagree; digests (and errors, which are small) otherwise.
      targets[names[i]!] = p.full && (differ || o.status !== 'ok') ? withFull(o, p.full.value()) : o;
    }
    if (differ) this.counts.differences++;
    const production = differ || !allOk ? recorded() : recordedBrief(rec);
    return this.sink({
      seq: rec.seq,
      conn: rec.conn,
      ...(rec.app ? { app: rec.app } : {}),
      db: rec.db,
      ...(rec.coll ? { coll: rec.coll } : {}),
      cmd: rec.cmd,
      shape,
      command,
      ...recordedField(production),
      targets,
    });
  }
}

/**
 * One target's part of an outcome before it is known whether the targets agree: the
 * outcome without `reply` and `docs` (status, digest, latency, error…), and where they
 * come from when it is kept in full.
 */
export interface TargetPart {
  outcome: TargetOutcome;
  readonly full?: FullReply;
}

/** A target's reply (and cursor documents), decoded only when asked for. */
export interface FullReply {
  value(): { reply: BSON.Document; docs?: BSON.Document[] };
  /** The digest taken from the decoded values, where the part's digest was taken from bytes; undefined otherwise. */
  decodedDigest(): string | undefined;
}

/** False when two parts' digests differ. */
function agreeing(parts: readonly TargetPart[]): boolean {
  let first: string | undefined;
  for (const p of parts) {
    const d = p.outcome.digest;
    if (!d) continue;
    if (first === undefined) first = d;
    else if (d !== first) return false;
  }
  return true;
}

/** The outcome with its reply (and documents) in full, keys in the order outcomes have always had. */
export function withFull(o: TargetOutcome, v: { reply: BSON.Document; docs?: BSON.Document[] }): TargetOutcome {
  const { status, ...rest } = o;
  return v.docs ? { status, reply: v.reply, docs: v.docs, ...rest } : { status, reply: v.reply, ...rest };
}

/**
 * Microseconds an operation took on a target: from its intended send time in recorded
 * timing (open loop, so a late send counts), from the actual send otherwise.
 */
export function latencyUs(res: SendResult, intended: number | undefined): number {
  if (res.kind === 'unavailable') return 0;
  return Math.max(0, (res.endAt - (intended ?? res.sentAt)) * 1000);
}

/** A target's part of the outcome of a command whole in one reply. */
export function replyOutcome(res: Exclude<SendResult, { kind: 'unavailable' }>, us: number): TargetPart {
  if (res.kind === 'ok') {
    const raw = res.raw ? rawDigest(res.raw) : undefined;
    const digest = raw ? replyBytesHex(raw.stripped) : decodedReplyHex(res.reply);
    return { outcome: { status: 'ok', digest, latencyUs: Math.round(us) }, full: new SentReply(res, raw !== undefined) };
  }
  const digest = new OutcomeDigest();
  digest.error(res.error);
  return { outcome: { status: 'error', error: res.error, digest: digest.hex(), latencyUs: Math.round(us) } };
}

function decodedReplyHex(reply: BSON.Document): string {
  const d = new OutcomeDigest();
  d.reply(reply);
  return d.hex();
}

/** The reply of one send, decoded on demand (WireReply decodes its bytes once, when first read). */
class SentReply implements FullReply {
  constructor(
    private readonly res: Extract<SendResult, { kind: 'ok' }>,
    private readonly fromBytes: boolean,
  ) {}

  value(): { reply: BSON.Document } {
    return { reply: this.res.reply };
  }

  decodedDigest(): string | undefined {
    return this.fromBytes ? decodedReplyHex(this.res.reply) : undefined;
  }
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

/** What production answered in brief: its error and duration, without the reply (outcomes where nothing differs). */
function recordedBrief(rec: OperationRecord): OperationOutcome['recorded'] {
  if (!rec.reply && !rec.error) return undefined;
  return { ...(rec.error ? { error: rec.error } : {}), durUs: rec.dur };
}

function recordedField(recorded: OperationOutcome['recorded']): { recorded?: OperationOutcome['recorded'] } {
  return recorded ? { recorded } : {};
}
