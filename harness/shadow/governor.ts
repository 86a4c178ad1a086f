import { readFileSync } from 'node:fs';
import os from 'node:os';

/** CPU times summed over every core, in ms (os.cpus()'s shape). */
export type CpuTimes = readonly { readonly times: { readonly user: number; readonly nice: number; readonly sys: number; readonly idle: number; readonly irq: number } }[];

/** Why the governor refuses a new operation now (the feed counts it under this reason). */
export type GovernorRefusal = 'host-busy' | 'mirror-cpu';

export interface GovernorOptions {
  /** Share of the host's CPU that must stay idle (0: no floor). */
  readonly minIdle: number;
  /** Share of one core the mirror thread may use (0: no cap). */
  readonly maxThreadCpu?: number;
  readonly intervalMs?: number;
  /** The host's CPU times (os.cpus); tests pass their own. */
  readonly read?: () => CpuTimes;
  /** CPU time of the calling thread in ns, or undefined where it cannot be read; tests pass their own. */
  readonly readThreadNs?: () => number | undefined;
}

/**
 * The mirror uses only CPU the host leaves idle, and never more than its share. Every
 * `intervalMs` it reads the host's CPU times and the mirror thread's own CPU time:
 *
 * - while the host's idle share over the last interval is under `minIdle`, the host is
 *   busy and new operations are not mirrored (the feed drops them as `host-busy`). Nice 19
 *   alone does not keep the mirror off the application's back: a mirrored operation also
 *   costs network work the kernel does at no priority (loopback or NIC interrupts, the
 *   candidate's replies), and on a saturated host that came out of the application's
 *   throughput (bench/shadow: ×0.78 against the plain proxy at 16 connections on 2
 *   cores). The mirror's own CPU counts as busy, so it settles where the host keeps
 *   `minIdle` free.
 * - while the mirror thread used more than `maxThreadCpu` of one core over the last
 *   interval, new operations are not mirrored either (`mirror-cpu`): a ceiling that holds
 *   whatever the host's size and however idle it looks, so that what shadowing may cost
 *   the application host is a number the operator chose. Read from the thread's
 *   scheduler statistics (Linux /proc/thread-self/schedstat, in ns); where those cannot
 *   be read there is no ceiling.
 */
export class CpuGovernor {
  private last: { idle: number; total: number } | undefined;
  private idleShare = 1;
  private lastThread: { ns: number; at: number } | undefined;
  private threadShare = 0;
  private readonly timer?: NodeJS.Timeout;
  private readonly minIdle: number;
  private readonly maxThreadCpu: number;
  private readonly read: () => CpuTimes;
  private readonly readThreadNs: () => number | undefined;

  constructor(options: GovernorOptions) {
    this.minIdle = options.minIdle;
    this.maxThreadCpu = options.maxThreadCpu ?? 0;
    this.read = options.read ?? os.cpus;
    this.readThreadNs = options.readThreadNs ?? threadCpuNs;
    if (this.minIdle <= 0 && this.maxThreadCpu <= 0) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), options.intervalMs ?? 250);
    this.timer.unref();
  }

  /** Why a new operation is not to be mirrored now, or undefined when it may be. */
  get refusal(): GovernorRefusal | undefined {
    if (this.minIdle > 0 && this.idleShare < this.minIdle) return 'host-busy';
    if (this.maxThreadCpu > 0 && this.threadShare > this.maxThreadCpu) return 'mirror-cpu';
    return undefined;
  }

  /** Whether the host has the idle CPU, and the mirror the CPU share, to mirror one more operation. */
  get admits(): boolean {
    return this.refusal === undefined;
  }

  /** The idle share of the last interval, 0 … 1. */
  get idle(): number {
    return this.idleShare;
  }

  /** The mirror thread's CPU over the last interval, in cores. */
  get threadCpu(): number {
    return this.threadShare;
  }

  /** Reads the CPU times now (the timer calls it; tests call it with their own readers). */
  sample(nowMs = performance.now()): void {
    if (this.minIdle > 0) {
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
    if (this.maxThreadCpu > 0) {
      const ns = this.readThreadNs();
      if (ns === undefined) return;
      const prev = this.lastThread;
      this.lastThread = { ns, at: nowMs };
      if (prev && nowMs > prev.at) this.threadShare = (ns - prev.ns) / 1e6 / (nowMs - prev.at);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/** The calling thread's CPU time in ns (Linux scheduler statistics), or undefined. */
function threadCpuNs(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]);
  } catch {
    return undefined;
  }
}
