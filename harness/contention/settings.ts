import { UsageError } from '../errors.ts';
import type { Config } from '../config/schema.ts';
import { parseDuration, parsePositiveInt, parseSeed, parseWorkerList } from './parse.ts';
import { WORKLOAD_NAMES, type WorkloadName } from './workloads/index.ts';

/** Flags of `bench contention` as commander hands them over (all text, all optional). */
export interface ContentionFlags {
  readonly workers?: string;
  readonly clients?: string;
  readonly duration?: string;
  readonly warmup?: string;
  readonly workload?: string;
  readonly indexes?: string;
  readonly seed?: string;
  readonly jobs?: string;
  readonly keys?: string;
  readonly brokenWorker?: boolean;
}

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
  readonly broken: boolean;
}

/** Flags over the config file's `bench.contention` section (whose defaults live in the schema). Pure. */
export function resolveContentionSettings(flags: ContentionFlags, config: Config): ContentionSettings {
  const c = config.bench.contention;
  const workload = flags.workload ?? c.workload;
  if (!(WORKLOAD_NAMES as readonly string[]).includes(workload)) throw new UsageError(`--workload: "${workload}" is not one of ${WORKLOAD_NAMES.join(', ')}`);
  let indexes = c.indexes;
  if (flags.indexes !== undefined) {
    if (flags.indexes !== 'on' && flags.indexes !== 'off') throw new UsageError(`--indexes: "${flags.indexes}" is not on or off`);
    indexes = flags.indexes === 'on';
  }
  return {
    workload: workload as WorkloadName,
    workers: flags.workers !== undefined ? parseWorkerList(flags.workers) : [...new Set(c.workers)].sort((a, b) => a - b),
    clients: flags.clients !== undefined ? parsePositiveInt(flags.clients, '--clients', 1024) : c.clients,
    durationMs: parseDuration(flags.duration ?? c.duration, flags.duration !== undefined ? '--duration' : 'bench.contention.duration'),
    warmupMs: parseDuration(flags.warmup ?? c.warmup, flags.warmup !== undefined ? '--warmup' : 'bench.contention.warmup'),
    indexes,
    seed: flags.seed !== undefined ? parseSeed(flags.seed) : c.seed,
    jobs: flags.jobs !== undefined ? parsePositiveInt(flags.jobs, '--jobs', 10_000_000) : c.jobs,
    keys: flags.keys !== undefined ? parsePositiveInt(flags.keys, '--keys', 100_000) : c.keys,
    broken: flags.brokenWorker === true,
  };
}
