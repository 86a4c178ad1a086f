// `npm run bench -- replay`: the replayer's own ceiling and fidelity.
//  1. ops/s replaying a capture at concurrency 1, 16, 64 against a STAND-IN WIRE SERVER
//     (bench/replay/stand-in-server.ts: answers instantly from memory, not a database),
//     beside the baseline measured in the same run: a bare `mongodb` driver loop of the
//     same commands, 64 at a time, against the same stand-in;
//  2. the same replay against real FerretDB, for scale;
//  3. schedule accuracy in recorded mode: p99 lag between intended and actual send at
//     2,000 ops/s;
//  4. peak RSS of the replaying process over a 1,000,000-operation capture.
// Targets (issue 5): ≥ 15,000 ops/s at c64 on the stand-in, p99 lag ≤ 2 ms, RSS ≤ 400 MB.
// Last line: {"bench":"replay","opsPerSecC64":…,"bareDriverOpsPerSecC64":…,"scheduleLagP99Ms":…,"peakRssMb":…}
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BSON, MongoClient } from 'mongodb';
import { REPLAY_DEFAULTS, replay, type ReplayProgress } from '../../harness/replay/run.ts';
import { LiveTarget } from '../../harness/replay/target.ts';
import { startFerretDb } from '../../harness/targets/ferretdb.ts';

const THROUGHPUT_OPS = Number(process.env.BENCH_REPLAY_OPS ?? 60_000);
const FERRET_OPS = Number(process.env.BENCH_REPLAY_FERRET_OPS ?? 6_000);
const LAG_OPS = Number(process.env.BENCH_REPLAY_LAG_OPS ?? 10_000);
const RSS_OPS = Number(process.env.BENCH_REPLAY_RSS_OPS ?? 1_000_000);
const CONNS = 256;
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const log = (s: string) => process.stderr.write(`${s}\n`);

async function child(file: string, args: string[]): Promise<{ line: string; stop: () => Promise<void> }> {
  const c = spawn(process.execPath, ['--import', 'tsx', here(file), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(c.stdout.setEncoding('utf8'), 'data')) as [string];
  return {
    line,
    stop: async () => {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        await once(c, 'exit');
      }
    },
  };
}

async function makeCapture(path: string, ops: number, gapUs: number, conns = CONNS): Promise<void> {
  const c = await child('./make-capture.ts', [path, String(ops), String(gapUs), String(conns)]);
  await c.stop();
}

interface Measured {
  opsPerSec: number;
  /** Operations per CPU-second of this process over the measured window (the machine is shared). */
  opsPerCpuSec: number;
  lagP99Ms?: number;
  load1: number;
}

async function replayOnce(
  uri: string,
  capture: string,
  out: string,
  opts: { timing: 'fast' | 'recorded'; concurrency: number },
): Promise<Measured> {
  let last: ReplayProgress | undefined;
  // The window opens at the first progress event with work done: target start-up, the
  // capture pre-scan and pre-flight are not the replayer's per-operation cost.
  let cpu0 = process.cpuUsage();
  let done0 = -1;
  const { run } = await replay({
    captures: [capture],
    baselines: [`base=${uri}`],
    candidates: [],
    out,
    ...opts,
    progressIntervalMs: 50,
    onProgress: (p) => {
      if (done0 < 0 && p.done > 0) {
        done0 = p.done;
        cpu0 = process.cpuUsage();
      }
      last = p;
    },
  });
  const cpu = process.cpuUsage(cpu0);
  await rm(out, { recursive: true, force: true });
  return {
    opsPerSec: last ? Math.round((last.done * 1000) / last.elapsedMs) : 0,
    opsPerCpuSec: last ? Math.round(((last.done - done0) * 1e6) / Math.max(1, cpu.user + cpu.system)) : 0,
    lagP99Ms: run.scheduleLag ? run.scheduleLag.p99Us / 1000 : undefined,
    load1: Number(loadavg()[0]!.toFixed(2)),
  };
}

/**
 * The baseline: the same find commands through the driver, `concurrency` loops at once,
 * nothing else. Fair to the replayer: the client is built by the replayer's own
 * LiveTarget (same MongoClient options: pool size, maxConnecting, socket timeout, no
 * retries), its pool is opened the same way before the clock starts, each loop uses one
 * explicit session as a replayed connection does, with the same reply options.
 */
async function bareDriver(uri: string, ops: number, concurrency: number): Promise<Measured> {
  const target = new LiveTarget({ name: 'bare', role: 'baseline', uri, displayUri: uri }, REPLAY_DEFAULTS.opTimeoutMs, Math.max(100, concurrency * 2), 'driver');
  await target.connect();
  await target.warm(concurrency);
  const db = target.client.db('bench');
  let next = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      const session = target.session(`loop:${w}`);
      while (next < ops) {
        const i = next++;
        await db.command(
          { find: 'items', filter: { k: new BSON.Int32(i % 100) }, limit: new BSON.Int32(1) },
          { session, promoteValues: false, promoteLongs: false, promoteBuffers: false },
        );
      }
    }),
  );
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  await target.close();
  return {
    opsPerSec: Math.round((ops * 1000) / ms),
    opsPerCpuSec: Math.round((ops * 1e6) / Math.max(1, cpu.user + cpu.system)),
    load1: Number(loadavg()[0]!.toFixed(2)),
  };
}

const fmt = (m: Measured) => `${m.opsPerSec} ops/s, ${m.opsPerCpuSec} ops per CPU-second, load ${m.load1}`;

const work = await mkdtemp(join(tmpdir(), 'mc-bench-replay-'));
const standIn = await child('./stand-in-server.ts', []);
const uri = `mongodb://127.0.0.1:${(JSON.parse(standIn.line) as { port: number }).port}/?directConnection=true`;
const figures = {} as Record<string, number> & { opsPerSecC64: number; bareDriverOpsPerSecC64: number; scheduleLagP99Ms: number; peakRssMb: number };
try {
  const fast = join(work, 'fast.gz');
  await makeCapture(fast, THROUGHPUT_OPS, 100);
  // Warm the JIT (driver and replayer) and the stand-in once, unmeasured: without it the
  // first run pays for compiling the hot path.
  await bareDriver(uri, 5_000, 16);
  await replayOnce(uri, fast, join(work, 'run-warm'), { timing: 'fast', concurrency: 16 });
  for (const c of [1, 16, 64]) {
    const r = await replayOnce(uri, fast, join(work, `run-c${c}`), { timing: 'fast', concurrency: c });
    figures[`opsPerSecC${c}`] = r.opsPerSec;
    log(`replay vs stand-in, concurrency ${c}: ${fmt(r)}`);
    if (c === 64) {
      figures.opsPerCpuSecC64 = r.opsPerCpuSec;
      // Back to back with the replay it is compared with, so both see the same machine load.
      const b = await bareDriver(uri, THROUGHPUT_OPS, 64);
      figures.bareDriverOpsPerSecC64 = b.opsPerSec;
      figures.bareDriverOpsPerCpuSecC64 = b.opsPerCpuSec;
      log(`bare driver loop vs stand-in, concurrency 64: ${fmt(b)}`);
    }
  }

  const ferret = await startFerretDb({ name: 'bench', replicaSet: false });
  try {
    const c = new MongoClient(ferret.uri);
    await c.db('bench').collection<BSON.Document>('items').insertMany(Array.from({ length: 100 }, (_, i): BSON.Document => ({ _id: i, k: new BSON.Int32(i) })));
    await c.close();
    const small = join(work, 'ferret.gz');
    await makeCapture(small, FERRET_OPS, 100);
    figures.ferretDbOpsPerSecC64 = (await replayOnce(ferret.uri, small, join(work, 'run-ferret'), { timing: 'fast', concurrency: 64 })).opsPerSec;
    figures.ferretDbBareDriverOpsPerSecC64 = (await bareDriver(ferret.uri, FERRET_OPS, 64)).opsPerSec;
    log(`replay vs FerretDB, concurrency 64: ${figures.ferretDbOpsPerSecC64} ops/s (bare driver ${figures.ferretDbBareDriverOpsPerSecC64})`);
  } finally {
    await ferret.stop();
  }

  // 2,000 ops/s: one op every 500 µs, spread over 64 connections.
  const paced = join(work, 'paced.gz');
  await makeCapture(paced, LAG_OPS, 500, 64);
  const lag = await replayOnce(uri, paced, join(work, 'run-paced'), { timing: 'recorded', concurrency: 64 });
  figures.scheduleLagP99Ms = Number((lag.lagP99Ms ?? Number.NaN).toFixed(3));
  figures.lagLoad1 = lag.load1;
  log(`recorded timing at 2,000 ops/s: p99 schedule lag ${figures.scheduleLagP99Ms} ms (achieved ${fmt(lag)})`);

  const big = join(work, 'big.gz');
  log(`writing a ${RSS_OPS}-operation capture…`);
  await makeCapture(big, RSS_OPS, 10);
  global.gc?.();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const r = await replayOnce(uri, big, join(work, 'run-big'), { timing: 'fast', concurrency: 64 });
  clearInterval(sampler);
  figures.peakRssMb = Math.round(peak / 2 ** 20);
  figures.opsPerSecC64Big = r.opsPerSec;
  log(`${RSS_OPS} operations at concurrency 64: ${r.opsPerSec} ops/s, peak RSS ${figures.peakRssMb} MB`);
} finally {
  await standIn.stop();
  await rm(work, { recursive: true, force: true });
}
log(`targets: ≥ 15000 ops/s at c64 (${figures.opsPerSecC64 >= 15_000 ? 'met' : 'NOT met'}), p99 lag ≤ 2 ms (${figures.scheduleLagP99Ms <= 2 ? 'met' : 'NOT met'}), RSS ≤ 400 MB (${figures.peakRssMb <= 400 ? 'met' : 'NOT met'})`);
process.stdout.write(
  `${JSON.stringify({ bench: 'replay', opsPerSecC64: figures.opsPerSecC64, bareDriverOpsPerSecC64: figures.bareDriverOpsPerSecC64, scheduleLagP99Ms: figures.scheduleLagP99Ms, peakRssMb: figures.peakRssMb, opsPerSecC1: figures.opsPerSecC1, opsPerSecC16: figures.opsPerSecC16, ferretDbOpsPerSecC64: figures.ferretDbOpsPerSecC64, opsPerCpuSecC64: figures.opsPerCpuSecC64, bareDriverOpsPerCpuSecC64: figures.bareDriverOpsPerCpuSecC64, load1: Number(loadavg()[0]!.toFixed(2)), ratioToBareDriver: Number((figures.opsPerSecC64 / figures.bareDriverOpsPerSecC64).toFixed(2)) })}\n`,
);
