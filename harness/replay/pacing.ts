import { recordUs, type LatencyHistogram } from '../model/histogram.ts';
import { Scheduler, type Clock } from './scheduler.ts';

/** The schedule starts this far ahead of the first record read, so the first ops are not late by set-up time. */
export const SCHEDULE_LEAD_MS = 20;
/** How far ahead of the schedule the capture is read. */
export const READ_AHEAD_MS = 100;

/**
 * Recorded timing: when each operation is due and how late it went out.
 *
 *   intended(t) = start + (t − t₀) / speed      t₀: the first record's time (µs)
 *                                               start: the clock when it was read + SCHEDULE_LEAD_MS
 *
 * Operations wait for their intended time (scheduler.ts releases them) and the lag
 * between it and the actual release goes into `lag` (open loop: latency is measured
 * from the intended time too). The reader waits as well, so the capture is read no
 * further than READ_AHEAD_MS ahead of the schedule.
 */
export class Pacing {
  private t0: number | undefined;
  private start = 0;
  private readonly scheduler: Scheduler;

  constructor(
    private readonly speed: number,
    /** Where the lag goes; none on a warm-up pass. */
    readonly lag: LatencyHistogram | undefined,
    private readonly now: Clock = () => performance.now(),
  ) {
    this.scheduler = new Scheduler(now);
  }

  /** Anchors the schedule at the first record read; later calls do nothing. */
  anchor(t: number): void {
    if (this.t0 !== undefined) return;
    this.t0 = t;
    this.start = this.now() + SCHEDULE_LEAD_MS;
  }

  /** Clock time (ms) at which the record of time `t` (µs) is due. */
  intendedAt(t: number): number {
    return this.start + (t - this.t0!) / 1000 / this.speed;
  }

  /**
   * The reader, after a record of time `t`: a wait while that record is more than
   * READ_AHEAD_MS ahead of the schedule, else undefined (no promise, no await).
   * Reading (inflate + decode) the whole read-ahead window at once took the CPU the
   * first sends needed: measured, the first ~3,000 ops of a 2,000 ops/s replay went
   * out up to 600 ms late.
   */
  readAhead(t: number): Promise<void> | undefined {
    const at = this.intendedAt(t) - READ_AHEAD_MS;
    return at > this.now() ? this.scheduler.until(at) : undefined;
  }

  /** An operation of time `t`: waits for its intended time, keeps how late it was released, returns the intended time. */
  async due(t: number): Promise<number> {
    const intended = this.intendedAt(t);
    if (intended > this.now()) await this.scheduler.until(intended);
    if (this.lag) recordUs(this.lag, (this.now() - intended) * 1000);
    return intended;
  }
}
