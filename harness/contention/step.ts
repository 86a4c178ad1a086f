import { setTimeout as sleep } from 'node:timers/promises';
import type { Db, MongoClient } from 'mongodb';
import { judgeHarness } from './harness-check.ts';
import type { WorkerTransport } from './transport.ts';
import { errorCodeName, isFatal } from './error-code.ts';
import { createLatencyHistogram, encodeHistogram, recordMs, summarise } from './histogram.ts';
import { logFigure, parseGetLog, type LogSnapshot } from './server-log.ts';
import { metricFigures, snapshotMetrics, type MetricSnapshot } from './server-metrics.ts';
import type { StepResult } from './result.ts';
import type { OpRecorder, Workload, WorkloadOptions } from './workloads/types.ts';

/**
 * One step of the sweep: one target at one worker count. Seeds the data, runs the
 * workers through warm-up and the measured window, brackets the window with
 * serverStatus/getLog snapshots from a separate monitoring client (so they never
 * queue behind the workers' pools), samples gauges during it, then checks invariants.
 */
export interface StepInput {
  readonly target: string;
  readonly order: number;
  readonly workers: number;
  /** The workers' connections: one pool per simulated batch server, worker i on pool i % n. */
  readonly transport: WorkerTransport;
  /** Pools in the transport (the `clients` setting), recorded with the step. */
  readonly clients: number;
  /** Seeding, serverStatus, getLog and the invariant check: never the workers' sockets. */
  readonly monitor: MongoClient;
  readonly dbName: string;
  readonly workload: Workload;
  readonly options: WorkloadOptions;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Gauge sampling period inside the window. */
  readonly sampleMs?: number;
  readonly clock?: () => number;
  readonly onPhase?: (phase: 'seed' | 'warmup' | 'measure' | 'verify') => void;
}

export async function runStep(input: StepInput): Promise<StepResult> {
  const now = input.clock ?? (() => performance.now());
  const db: Db = input.monitor.db(input.dbName);
  input.onPhase?.('seed');
  const run = await input.workload.prepare(db, input.options);

  const hist = createLatencyHistogram();
  const errors: Record<string, number> = {};
  let ops = 0;
  let otherOps = 0;
  let windowStart = Infinity;
  let measuring = false;
  let stopped = false;
  let fatal: unknown;
  const rec: OpRecorder = {
    now,
    ok(startedAt) {
      if (measuring && startedAt >= windowStart) {
        ops++;
        recordMs(hist, now() - startedAt);
      }
    },
    fail(startedAt, err) {
      if (isFatal(err)) {
        fatal ??= err;
        stopped = true;
      }
      if (measuring && startedAt >= windowStart) {
        const code = errorCodeName(err);
        errors[code] = (errors[code] ?? 0) + 1;
      }
    },
    other() {
      if (measuring) otherOps++;
    },
  };

  const handles = Array.from({ length: input.workers }, (_, i) => run.worker(i, input.transport.session(i, input.dbName)));
  const loops = handles.map(async (h) => {
    while (!stopped) {
      try {
        await h.step(rec);
      } catch (err) {
        // A follow-up op failed (the findAndModify itself reports through rec.fail).
        rec.fail(now(), err);
      }
    }
  });

  const admin = input.monitor.db('admin');
  input.onPhase?.('warmup');
  await sleep(input.warmupMs);
  const [beforeStatus, beforeLog] = await Promise.all([serverStatus(admin), getLog(admin)]);
  input.onPhase?.('measure');
  const cpuAtStart = process.cpuUsage();
  windowStart = now();
  measuring = true;
  const samples: MetricSnapshot[] = [];
  const sampleEvery = input.sampleMs ?? 250;
  const windowEnd = windowStart + input.durationMs;
  while (!stopped && now() < windowEnd) {
    await sleep(Math.min(sampleEvery, Math.max(0, windowEnd - now())));
    if (now() < windowEnd) samples.push(await serverStatus(admin));
  }
  measuring = false;
  const windowMs = now() - windowStart;
  const cpu = process.cpuUsage(cpuAtStart);
  const [afterStatus, afterLog] = await Promise.all([serverStatus(admin), getLog(admin)]);
  stopped = true;
  await Promise.all(loops);
  if (fatal) throw fatal;

  input.onPhase?.('verify');
  const invariants = await run.verify(db);
  const opsPerSec = windowMs > 0 ? (ops * 1000) / windowMs : 0;
  return {
    target: input.target,
    workers: input.workers,
    clients: input.clients,
    order: input.order,
    warmupMs: input.warmupMs,
    windowMs: Math.round(windowMs),
    ops,
    opsPerSec,
    otherOps,
    errors,
    latency: summarise(hist),
    histogram: encodeHistogram(hist),
    server: metricFigures(beforeStatus, afterStatus, samples, windowMs),
    log: logFigure(beforeLog, afterLog),
    workload: run.extra(),
    invariants,
    harness: judgeHarness({
      transport: input.transport.name,
      transportNote: input.transport.note,
      cpuUs: cpu.user + cpu.system,
      windowMs,
      ops,
      opsPerSec,
    }),
  };
}

async function serverStatus(admin: Db): Promise<MetricSnapshot> {
  try {
    return snapshotMetrics(await admin.command({ serverStatus: 1 }));
  } catch {
    // Not allowed or not supported: every figure then reads "not available".
    return {};
  }
}

async function getLog(admin: Db): Promise<LogSnapshot | string> {
  try {
    const parsed = parseGetLog(await admin.command({ getLog: 'global' }));
    return parsed ?? 'not available on this server (getLog reply has no log array)';
  } catch (err) {
    return `not available on this server (getLog refused: ${errorCodeName(err)})`;
  }
}
