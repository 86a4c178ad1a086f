import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { MongoClient } from 'mongodb';
import { findKnee } from './knee.ts';
import type { ContentionSettings } from './settings.ts';
import type { BenchTargetInfo, ContentionResult, StepResult, TargetSummary } from './result.ts';
import { runStep } from './step.ts';
import { WORKLOADS } from './workloads/index.ts';

/**
 * The contention sweep. For each worker count, every target runs one step in turn
 * (A B A B …) so machine drift does not favour one target. A run is an EventEmitter:
 * the CLI's progress view subscribes; the engine never prints.
 *
 * Events: 'step-start' {target, workers, order, total}, 'phase' {target, workers, phase},
 * 'step-done' StepResult, 'done' ContentionResult.
 */
export interface ContentionTarget extends BenchTargetInfo {
  /** The connection string; may hold credentials, never stored. */
  readonly uri: string;
}

/** The sweep's settings (settings.ts resolves them from flags and config) and its targets. */
export interface ContentionOptions extends Omit<ContentionSettings, 'workers' | 'broken'> {
  readonly targets: readonly ContentionTarget[];
  readonly workers: readonly number[];
  readonly broken?: boolean;
  /** Database the steps use on every target; a fresh random name by default, dropped at the end. */
  readonly dbName?: string;
  readonly sampleMs?: number;
}

export interface StepStartEvent {
  readonly target: string;
  readonly workers: number;
  readonly order: number;
  readonly total: number;
}

export class ContentionRun extends EventEmitter {
  readonly done: Promise<ContentionResult>;

  constructor(options: ContentionOptions) {
    super();
    // Defer so listeners attach before the first event.
    this.done = new Promise<void>((r) => setImmediate(r)).then(() => this.#run(options));
  }

  async #run(o: ContentionOptions): Promise<ContentionResult> {
    const startedAt = new Date().toISOString();
    const workload = WORKLOADS[o.workload];
    const dbName = o.dbName ?? `mc_bench_${randomBytes(4).toString('hex')}`;
    const maxWorkers = Math.max(...o.workers);
    const pool = Math.max(1, Math.ceil(maxWorkers / o.clients));
    const pools = new Map<string, { clients: MongoClient[]; monitor: MongoClient }>();
    const steps: StepResult[] = [];
    try {
      for (const t of o.targets) {
        // One pool per simulated batch server, sized so each worker has its own connection.
        const clients = Array.from({ length: o.clients }, () => new MongoClient(t.uri, { maxPoolSize: pool, serverSelectionTimeoutMS: 10_000 }));
        const monitor = new MongoClient(t.uri, { maxPoolSize: 2, serverSelectionTimeoutMS: 10_000 });
        pools.set(t.name, { clients, monitor });
        await Promise.all([...clients, monitor].map((c) => c.connect()));
      }
      const total = o.workers.length * o.targets.length;
      let order = 0;
      for (const workers of o.workers) {
        for (const t of o.targets) {
          const { clients, monitor } = pools.get(t.name)!;
          this.emit('step-start', { target: t.name, workers, order, total } satisfies StepStartEvent);
          const step = await runStep({
            target: t.name,
            order,
            workers,
            clients,
            monitor,
            dbName,
            workload,
            options: { seed: o.seed, indexes: o.indexes, jobs: o.jobs, keys: o.keys, broken: o.broken ?? false },
            warmupMs: o.warmupMs,
            durationMs: o.durationMs,
            sampleMs: o.sampleMs,
            onPhase: (phase) => this.emit('phase', { target: t.name, workers, phase }),
          });
          steps.push(step);
          this.emit('step-done', step);
          order++;
        }
      }
    } finally {
      for (const { clients, monitor } of pools.values()) {
        await monitor.db(dbName).dropDatabase().catch(() => undefined);
        await Promise.all([...clients, monitor].map((c) => c.close().catch(() => undefined)));
      }
    }
    const result: ContentionResult = {
      bench: 'contention',
      version: 1,
      startedAt,
      finishedAt: new Date().toISOString(),
      settings: {
        workload: o.workload,
        workers: [...o.workers],
        clients: o.clients,
        durationMs: o.durationMs,
        warmupMs: o.warmupMs,
        indexes: o.indexes,
        seed: o.seed,
        jobs: o.jobs,
        keys: o.keys,
        broken: o.broken ?? false,
      },
      targets: o.targets.map(({ name, displayUri, product, serverVersion }) => ({ name, displayUri, product, serverVersion })),
      steps,
      summary: summarise(o.targets, steps),
      violations: steps.reduce((n, s) => n + s.invariants.violations, 0),
    };
    this.emit('done', result);
    return result;
  }
}

export function summarise(targets: readonly BenchTargetInfo[], steps: readonly StepResult[]): TargetSummary[] {
  return targets.map((t) => {
    const mine = steps.filter((s) => s.target === t.name);
    return {
      target: t.name,
      knee: findKnee(mine.map((s) => ({ workers: s.workers, opsPerSec: s.opsPerSec }))),
      bestOpsPerSec: mine.reduce((m, s) => Math.max(m, s.opsPerSec), 0),
      violations: mine.reduce((n, s) => n + s.invariants.violations, 0),
    };
  });
}

export function startContention(options: ContentionOptions): ContentionRun {
  return new ContentionRun(options);
}
