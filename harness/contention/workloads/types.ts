import type { Db } from 'mongodb';
import type { InvariantReport } from '../invariants.ts';
import type { WorkerSession } from '../transport.ts';

/** How a workload reports each findAndModify to the step runner, which owns the clock and histogram. */
export interface OpRecorder {
  now(): number;
  /** A findAndModify started at `startedAt` (ms, recorder clock) completed. */
  ok(startedAt: number): void;
  /** It failed; counted by server error code name. */
  fail(startedAt: number, err: unknown): void;
  /** A follow-up operation (mark done, release, refill), not part of the throughput figure. */
  other(): void;
}

export interface WorkloadOptions {
  readonly seed: number;
  readonly indexes: boolean;
  /** Jobs seeded for the queue workload. */
  readonly jobs: number;
  /** Hot documents (hot-counter) or lock documents (lock). */
  readonly keys: number;
  /** Claims without the atomic filter: exists to prove the invariant check catches it. */
  readonly broken: boolean;
}

export interface WorkerHandle {
  /** One iteration: one findAndModify and its follow-up. */
  step(rec: OpRecorder): Promise<void>;
}

/** One step's workload state: seeded data, workers and the final check. */
export interface WorkloadRun {
  /** A worker sends its measured operations through `session` (wire or driver, see transport.ts). */
  worker(id: number, session: WorkerSession): WorkerHandle;
  /** Reads the server's final state and checks the invariants. */
  verify(db: Db): Promise<InvariantReport>;
  /** Figures specific to the workload (empty claims, refills, busy locks…). */
  extra(): Record<string, number>;
}

export interface Workload {
  readonly name: WorkloadName;
  readonly describe: string;
  /** Drops and seeds the step's collection; returns the state workers share. */
  prepare(db: Db, options: WorkloadOptions): Promise<WorkloadRun>;
}

export const WORKLOAD_NAMES = Object.freeze(['queue', 'hot-counter', 'lock'] as const);
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];
