import type { TransportName } from './transport.ts';

/**
 * Could the harness, not the server, have set a step's rate? Two tests, either enough:
 *
 *  - its own CPU: the workers, histograms and sockets all run on one event loop, so a
 *    process using HARNESS_CORE_LIMIT of a core or more over the window was close to
 *    saturating the only core it can use;
 *  - its ceiling: when the run also measured a stand-in server that answers from memory
 *    (the harness's ceiling at the same worker count), a target reaching
 *    HARNESS_CEILING_FRACTION of that rate was measured too close to the harness's limit.
 *
 * Such a step is "harness-bound, inconclusive": its figures are a lower bound on the
 * server, not the server's.
 */
export const HARNESS_CORE_LIMIT = 0.8;
export const HARNESS_CEILING_FRACTION = 0.5;
export const HARNESS_BOUND_LABEL = 'harness-bound, inconclusive';

export interface HarnessFigure {
  /** How the workers reached the server (transport.ts). */
  readonly transport: TransportName;
  /** Why the transport differs from the one asked for, when it does. */
  readonly transportNote?: string;
  /** The harness process's CPU (user + system) over the measured window, µs. */
  readonly cpuUs: number;
  readonly cpuUsPerOp: number;
  /** cpuUs over the window's wall time: 1 is one core busy all along. */
  readonly coreFraction: number;
  /** The stand-in's rate at the same worker count in the same run, when one was measured. */
  readonly ceilingOpsPerSec?: number;
  /** True when the harness could have been the bottleneck: the step is inconclusive. */
  readonly bound: boolean;
  /** Why it could have been, in words (absent when not bound). */
  readonly reason?: string;
}

export interface HarnessInput {
  readonly transport: TransportName;
  readonly transportNote?: string;
  readonly cpuUs: number;
  readonly windowMs: number;
  readonly ops: number;
  readonly opsPerSec: number;
  readonly ceilingOpsPerSec?: number;
}

/** Pure: the figure and the verdict for one step. */
export function judgeHarness(i: HarnessInput): HarnessFigure {
  const coreFraction = i.windowMs > 0 ? i.cpuUs / (i.windowMs * 1000) : 0;
  const reasons: string[] = [];
  if (coreFraction >= HARNESS_CORE_LIMIT) {
    reasons.push(`harness CPU ${pct(coreFraction)} of a core (limit ${pct(HARNESS_CORE_LIMIT)})`);
  }
  if (i.ceilingOpsPerSec !== undefined && i.ceilingOpsPerSec > 0 && i.opsPerSec >= HARNESS_CEILING_FRACTION * i.ceilingOpsPerSec) {
    reasons.push(
      `rate ${pct(i.opsPerSec / i.ceilingOpsPerSec)} of the harness ceiling (${Math.round(i.ceilingOpsPerSec)} ops/s; limit ${pct(HARNESS_CEILING_FRACTION)})`,
    );
  }
  return {
    transport: i.transport,
    ...(i.transportNote ? { transportNote: i.transportNote } : {}),
    cpuUs: Math.round(i.cpuUs),
    cpuUsPerOp: i.ops > 0 ? Math.round((i.cpuUs / i.ops) * 10) / 10 : 0,
    coreFraction: Math.round(coreFraction * 1000) / 1000,
    ...(i.ceilingOpsPerSec !== undefined ? { ceilingOpsPerSec: Math.round(i.ceilingOpsPerSec) } : {}),
    bound: reasons.length > 0,
    ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
  };
}

/** The same figure judged again once the run's ceiling at this worker count is known. */
export function withCeiling(f: HarnessFigure, windowMs: number, ops: number, opsPerSec: number, ceilingOpsPerSec: number): HarnessFigure {
  return judgeHarness({ transport: f.transport, transportNote: f.transportNote, cpuUs: f.cpuUs, windowMs, ops, opsPerSec, ceilingOpsPerSec });
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
