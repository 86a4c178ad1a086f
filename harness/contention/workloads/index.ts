import { hotCounterWorkload } from './hot-counter.ts';
import { lockWorkload } from './lock.ts';
import { queueWorkload } from './queue.ts';
import type { Workload, WorkloadName } from './types.ts';

export const WORKLOADS: Readonly<Record<WorkloadName, Workload>> = Object.freeze({
  queue: queueWorkload,
  'hot-counter': hotCounterWorkload,
  lock: lockWorkload,
});

export { WORKLOAD_NAMES, type WorkloadName } from './types.ts';
