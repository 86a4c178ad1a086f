import os from 'node:os';

/** CPU times summed over every core, in ms (os.cpus()'s shape). */
export type CpuTimes = readonly { readonly times: { readonly user: number; readonly nice: number; readonly sys: number; readonly idle: number; readonly irq: number } }[];

/**
 * The mirror uses only CPU the host leaves idle. Every `intervalMs` it reads the host's
 * CPU times and computes the idle share of the last interval over all cores; while that
 * share is under `minIdle`, the host is busy and new operations are not mirrored (the
 * feed drops them as `host-busy`, counted). Nice 19 alone does not keep the mirror off
 * the application's back: a mirrored operation also costs network work the kernel does
 * at no priority (loopback or NIC interrupts, the candidate's replies), and on a
 * saturated host that came out of the application's throughput (bench/shadow: ×0.78
 * against the plain proxy at 16 connections on 2 cores). The mirror's own CPU counts as
 * busy, so it settles where the host keeps `minIdle` free. `minIdle` 0 turns it off.
 */
export class CpuGovernor {
  private last: { idle: number; total: number } | undefined;
  private idleShare = 1;
  private readonly timer?: NodeJS.Timeout;

  constructor(
    private readonly minIdle: number,
    intervalMs = 250,
    private readonly read: () => CpuTimes = os.cpus,
  ) {
    if (minIdle <= 0) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Whether the host has the idle CPU to mirror one more operation. */
  get admits(): boolean {
    return this.minIdle <= 0 || this.idleShare >= this.minIdle;
  }

  /** The idle share of the last interval, 0 … 1. */
  get idle(): number {
    return this.idleShare;
  }

  /** Reads the CPU times now (the timer calls it; tests call it with their own reader). */
  sample(): void {
    let idle = 0;
    let total = 0;
    for (const c of this.read()) {
      const t = c.times;
      idle += t.idle;
      total += t.user + t.nice + t.sys + t.idle + t.irq;
    }
    const prev = this.last;
    this.last = { idle, total };
    if (prev && total > prev.total) this.idleShare = (idle - prev.idle) / (total - prev.total);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
