import { durationMs } from '../config/duration.ts';
import type { Config } from '../config/schema.ts';
import { DEFAULT_TRANSPORT, type TransportName } from './transport.ts';
import type { WorkloadName } from './workloads/index.ts';

export interface ContentionSettings {
  readonly workload: WorkloadName;
  readonly workers: number[];
  readonly clients: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly indexes: boolean;
  readonly seed: number;
  readonly jobs: number;
  readonly keys: number;
  /**
   * How workers reach the servers (transport.ts); targets the wire path cannot serve use
   * the driver. Absent in results written before the wire path existed (they used the driver).
   */
  readonly transport?: TransportName;
  /** Claims without the atomic filter: set by tests that prove the invariant check catches it, never by the CLI. */
  readonly broken: boolean;
}

/**
 * The `bench.contention` section (flags already over it, checked by the schema, whose
 * defaults live there) as the sweep's settings. Pure: durations become milliseconds
 * and worker counts run in ascending order, once each.
 */
export function contentionSettings(c: Config['bench']['contention'], transport: TransportName = DEFAULT_TRANSPORT): ContentionSettings {
  return {
    workload: c.workload,
    workers: [...new Set(c.workers)].sort((a, b) => a - b),
    clients: c.clients,
    durationMs: checkedMs(c.duration, 'duration'),
    warmupMs: checkedMs(c.warmup, 'warmup'),
    indexes: c.indexes,
    seed: c.seed,
    jobs: c.jobs,
    keys: c.keys,
    transport,
    broken: false,
  };
}

/** The schema refuses what durationMs cannot read; reaching the throw is a bug. */
function checkedMs(text: string, setting: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new Error(`bench.contention.${setting} ${text}: not a duration, yet the schema let it through`);
  return ms;
}
