import type { BSON } from 'mongodb';
import { newHistogram, recordUs, summarise, type LatencyHistogram } from '../model/histogram.ts';
import type { OperationRecord } from '../model/record.ts';
import type { ReplayTarget } from '../replay/send.ts';
import type { LiveTarget, SendOptions, SendResult } from '../replay/target.ts';

/** Why an operation meant for a candidate was not sent to it. */
export type CandidateDrop = 'behind' | 'unavailable';

export interface MirrorStatus {
  readonly name: string;
  /** Operations sent to the candidate (answered or not). */
  readonly mirrored: number;
  /** Operations not sent or not answered, by reason. */
  readonly dropped: Readonly<Record<CandidateDrop, number>>;
  /** How long after production's reply the candidate's came, in ms (p50, p99, the last one). */
  readonly lagMs: { readonly p50: number; readonly p99: number; readonly last: number } | null;
  /** Set while the candidate is down: why. */
  readonly down?: string;
}

/**
 * A mirrored server (a candidate, or a clone of production's version) behind its gate: the replay engine sends each operation to production
 * (answered at once from the record) and to every candidate together, so a candidate
 * that falls behind would hold the mirror of every connection back. The gate sheds load
 * instead: an operation whose production reply is already `maxLagMs` old when its turn
 * comes is not sent to this candidate (`behind`), so the candidate's queue drains at
 * the speed of a refusal and the mirror catches up; a candidate that is down answers
 * `unavailable` at once (LiveTarget's fault policy), and is tried again every
 * `retryDownMs`, so a restarted candidate comes back without restarting shadow.
 * Either way the outcome says `unavailable` with the reason, and compare counts it so.
 */
export class MirrorGate implements ReplayTarget {
  private mirrored = 0;
  private readonly dropped: Record<CandidateDrop, number> = { behind: 0, unavailable: 0 };
  private readonly lag: LatencyHistogram = newHistogram();
  private lastLagMs = 0;
  private downSince = 0;

  constructor(
    readonly target: LiveTarget,
    private readonly maxLagMs: number,
    private readonly retryDownMs: number,
    /** Wall clock in ms (tests pass their own). */
    private readonly now: () => number = Date.now,
  ) {}

  get name(): string {
    return this.target.name;
  }

  get replicaSet(): boolean {
    return this.target.replicaSet;
  }

  async send(db: string, command: BSON.Document, options: SendOptions): Promise<SendResult> {
    const rec = options.record;
    const due = rec ? productionEndMs(rec) : undefined;
    if (due !== undefined && this.now() - due > this.maxLagMs) {
      this.dropped.behind++;
      return { kind: 'unavailable', reason: `candidate behind: production's reply was more than ${this.maxLagMs} ms old when its turn came` };
    }
    if (this.target.down !== undefined) {
      if (this.downSince === 0) this.downSince = this.now();
      if (this.now() - this.downSince < this.retryDownMs) {
        if (rec) this.dropped.unavailable++;
        return { kind: 'unavailable', reason: this.target.down };
      }
      // Time to look again: one operation pays the retries, the others keep being refused at once.
      this.target.down = undefined;
      this.downSince = 0;
    }
    if (rec) this.mirrored++;
    const res = await this.target.send(db, command, options);
    if (res.kind === 'unavailable') {
      if (rec) this.dropped.unavailable++;
      if (this.target.down !== undefined && this.downSince === 0) this.downSince = this.now();
    } else if (due !== undefined) {
      this.lastLagMs = Math.max(0, this.now() - due);
      recordUs(this.lag, this.lastLagMs * 1000);
    }
    return res;
  }

  status(): MirrorStatus {
    const s = this.lag.totalCount > 0 ? summarise(this.lag) : undefined;
    return {
      name: this.name,
      mirrored: this.mirrored,
      dropped: { ...this.dropped },
      lagMs: s ? { p50: s.p50Us / 1000, p99: s.p99Us / 1000, last: this.lastLagMs } : null,
      ...(this.target.down !== undefined ? { down: this.target.down } : {}),
    };
  }
}

/** When production's reply ended, in ms since the epoch (records time in µs). */
export function productionEndMs(rec: OperationRecord): number {
  return (rec.t + (rec.dur ?? 0)) / 1000;
}
