import type { LatencySummary } from './histogram.ts';
import type { HarnessFigure } from './harness-check.ts';
import type { InvariantReport } from './invariants.ts';
import type { Knee } from './knee.ts';
import type { LogFigure } from './server-log.ts';
import type { MetricFigure } from './server-metrics.ts';
import type { ContentionSettings } from './settings.ts';

/** The JSON a contention run writes: every step and every figure. Renderers read only this. */
export interface BenchTargetInfo {
  readonly name: string;
  readonly displayUri: string;
  readonly product: string;
  readonly serverVersion: string;
}

export interface StepResult {
  readonly target: string;
  readonly workers: number;
  readonly clients: number;
  /** Position in the interleaved order (A B A B …), from 0. */
  readonly order: number;
  readonly warmupMs: number;
  readonly windowMs: number;
  /** findAndModify operations completed in the measured window. */
  readonly ops: number;
  readonly opsPerSec: number;
  /** Follow-up operations (mark done, release, refill) in the window. */
  readonly otherOps: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly latency: LatencySummary;
  /** HdrHistogram compressed base64 of findAndModify latency in µs. */
  readonly histogram: string;
  readonly server: readonly MetricFigure[];
  readonly log: LogFigure;
  readonly workload: Readonly<Record<string, number>>;
  readonly invariants: InvariantReport;
  /**
   * The harness's own cost over the window, and whether it could have set the rate
   * (harness-check.ts). Absent in results written before the check existed.
   */
  readonly harness?: HarnessFigure;
}

export interface TargetSummary {
  readonly target: string;
  readonly knee: Knee | undefined;
  readonly bestOpsPerSec: number;
  readonly violations: number;
  /** Steps whose rate the harness could have set: "harness-bound, inconclusive". */
  readonly harnessBoundSteps: number;
}

export interface ContentionResult {
  readonly bench: 'contention';
  readonly version: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly settings: Readonly<ContentionSettings>;
  readonly targets: readonly BenchTargetInfo[];
  readonly steps: readonly StepResult[];
  readonly summary: readonly TargetSummary[];
  readonly violations: number;
}
