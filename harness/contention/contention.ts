import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { MongoClient } from 'mongodb';
import { withCeiling } from './harness-check.ts';
import { findKnee } from './knee.ts';
import type { ContentionSettings } from './settings.ts';
import type { BenchTargetInfo, ContentionResult, StepResult, TargetSummary } from './result.ts';
import { runStep } from './step.ts';
import { DEFAULT_TRANSPORT, openTransport, type WorkerTransport } from './transport.ts';
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
  /**
   * A stand-in that answers from memory (the bench's): its rate is the harness's ceiling,
   * and the other targets' steps at the same worker count are judged against it.
   */
  readonly ceiling?: boolean;
}

/** The sweep's settings (settings.ts resolves them from flags and config) and its targets. */
export interface ContentionOptions extends Omit<ContentionSettings, 'workers' | 'broken' | 'transport'> {
  readonly targets: readonly ContentionTarget[];
  readonly workers: readonly number[];
  readonly broken?: boolean;
  /** `wire` by default (transport.ts). */
  readonly transport?: ContentionSettings['transport'];
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
    const transportName = o.transport ?? DEFAULT_TRANSPORT;
    const pools = new Map<string, { transport?: WorkerTransport; monitor: MongoClient }>();
    const steps: StepResult[] = [];
    try {
      for (const t of o.targets) {
        const monitor = new MongoClient(t.uri, { maxPoolSize: 2, serverSelectionTimeoutMS: 10_000 });
        const entry: { transport?: WorkerTransport; monitor: MongoClient } = { monitor };
        pools.set(t.name, entry);
        await monitor.connect();
        // One pool per simulated batch server, sized so each worker has its own connection.
        entry.transport = await openTransport({ uri: t.uri, transport: transportName, pools: o.clients, poolSize: pool });
      }
      const total = o.workers.length * o.targets.length;
      let order = 0;
      for (const workers of o.workers) {
        for (const t of o.targets) {
          const { transport, monitor } = pools.get(t.name)!;
          this.emit('step-start', { target: t.name, workers, order, total } satisfies StepStartEvent);
          const step = await runStep({
            target: t.name,
            order,
            workers,
            transport: transport!,
            clients: o.clients,
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
      for (const { transport, monitor } of pools.values()) {
        await transport?.close();
        await monitor.db(dbName).dropDatabase().catch(() => undefined);
        await monitor.close().catch(() => undefined);
      }
    }
    const judged = judgeAgainstCeiling(o.targets, steps);
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
        transport: transportName,
        broken: o.broken ?? false,
      },
      targets: o.targets.map(({ name, displayUri, product, serverVersion }) => ({ name, displayUri, product, serverVersion })),
      steps: judged,
      summary: summarise(o.targets, judged),
      violations: judged.reduce((n, s) => n + s.invariants.violations, 0),
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
      harnessBoundSteps: mine.filter((s) => s.harness?.bound).length,
    };
  });
}

/**
 * Where the run measured a ceiling target (a stand-in answering from memory), each other
 * target's step is judged again against the ceiling's rate at the same worker count.
 */
export function judgeAgainstCeiling(targets: readonly Pick<ContentionTarget, 'name' | 'ceiling'>[], steps: readonly StepResult[]): StepResult[] {
  const ceilings = new Set(targets.filter((t) => t.ceiling).map((t) => t.name));
  if (ceilings.size === 0) return [...steps];
  const best = new Map<number, number>();
  for (const s of steps) if (ceilings.has(s.target)) best.set(s.workers, Math.max(best.get(s.workers) ?? 0, s.opsPerSec));
  return steps.map((s) => {
    const ceiling = best.get(s.workers);
    if (ceilings.has(s.target) || ceiling === undefined) return s;
    return s.harness ? { ...s, harness: withCeiling(s.harness, s.windowMs, s.ops, s.opsPerSec, ceiling) } : s;
  });
}

export function startContention(options: ContentionOptions): ContentionRun {
  return new ContentionRun(options);
}
