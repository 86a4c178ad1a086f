// `npm run bench -- replay`: the replayer's own cost, against a STAND-IN WIRE SERVER
// (bench/replay/stand-in-server.ts: answers instantly from memory with real reply shapes,
// not a database), on the workload issue 23 measured beside mongoreplay: 60,000 commands
// (40k finds by `_id` returning a 1 KiB document, 20k small inserts, a few multi-batch
// cursors) from 32 recorded connections, with full recorded replies as our proxy keeps
// them, replayed `--timing fast --concurrency 32 --allow-writes`:
//  1. one target, and baseline + candidate, each replay in a process of its own
//     (replay-child.ts): ops/s in the replay window, CPU µs per operation of the whole
//     process (every thread, start-up included) and within the window, wall time
//     including start-up, peak RSS;
//  2. time to first operation on a 1,000,000-operation capture of the same workload;
//  3. the baseline measured in the same run: a bare `mongodb` driver loop of finds,
//     32 at a time, against the same stand-in.
// 1 and 3 run BENCH_REPLAY_ROUNDS rounds (3), back to back; the figures are medians over
// the rounds, ratios paired within a round; each round's figures are in `rounds`.
// BENCH_REPLAY_FULL=1 adds the figures of issue 5: ops/s at concurrency 1, 16 and 64 on a
// find-only capture (in this process, beside a bare driver loop at 64), the same replay
// against real FerretDB, p99 schedule lag at 2,000 ops/s, peak RSS replaying 1M operations.
// The machine is shared: every figure comes with the load average; CPU per operation is
// the figure least sensitive to load.
// Last line: {"bench":"replay","opsPerSec":…,"cpuUsPerOp":…,"cpuUsPerOpPerTarget":…,"timeToFirstOpMs":…,"peakRssMb":…,"reference":{…},…}
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
import { build, buildDir } from '../../scripts/build.mjs';

const THROUGHPUT_OPS = Number(process.env.BENCH_REPLAY_OPS ?? 60_000);
const ROUNDS = Math.max(1, Number(process.env.BENCH_REPLAY_ROUNDS ?? 3));
const FIRST_OP_OPS = Number(process.env.BENCH_REPLAY_FIRST_OP_OPS ?? 1_000_000);
const APP_CONNS = 32;
const FULL = process.env.BENCH_REPLAY_FULL === '1';
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

async function makeCapture(path: string, ops: number, gapUs: number, conns = CONNS, workload: 'finds' | 'app' = 'finds'): Promise<void> {
  const c = await child('./make-capture.ts', [path, String(ops), String(gapUs), String(conns), workload]);
  await c.stop();
}

/** What replay-child.ts prints. */
interface ChildFigures {
  ops: number;
  status: string;
  outcomes: number;
  differences: number;
  opsPerSec: number;
  cpuUsPerOp: number;
  userUsPerOp: number;
  systemUsPerOp: number;
  windowCpuUsPerOp: number;
  wallMs: number;
  windowMs: number;
  timeToFirstOpMs: number;
  peakRssMb: number;
  importMs: number;
  load1: number;
}

/**
 * replay-child.ts precompiled the way the CLI runs (scripts/build.mjs: an esbuild bundle
 * with source maps, no tsx loader thread), built once per bench run beside the CLI's build.
 */
let replayChildBuild: Promise<string> | undefined;
function replayChildFile(): Promise<string> {
  replayChildBuild ??= build({ outdir: join(buildDir(), 'bench'), entries: { 'replay-child': 'bench/replay/replay-child.ts' } }).then((b) => b.entry('replay-child'));
  return replayChildBuild;
}

async function replayChild(args: Record<string, unknown>): Promise<ChildFigures> {
  const c = spawn(process.execPath, ['--enable-source-maps', await replayChildFile(), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const [code] = (await once(c, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`replay-child exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as ChildFigures;
}

/** The issue 23 figures of mongoreplay on the same workload and machine: the ones to beat. */
const REFERENCE = Object.freeze({
  tool: 'mongoreplay play --fullSpeed (mongo-tools, last commit with it)',
  opsPerSec: 16_173,
  cpuUsPerOp: 82,
  peakRssMb: 134,
  withJsonOutput: { opsPerSec: 12_300, cpuUsPerOp: 118, peakRssMb: 165 },
});

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

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (m: Measured) => `${m.opsPerSec} ops/s, ${m.opsPerCpuSec} ops per CPU-second, load ${m.load1}`;
const fmtChild = (f: ChildFigures) =>
  `${f.ops} ops (${f.status}, ${f.differences} differences), ${f.opsPerSec} ops/s in a ${f.windowMs} ms window, ${f.cpuUsPerOp} µs CPU/op whole process (user ${f.userUsPerOp}, kernel ${f.systemUsPerOp}), ` +
  `${f.windowCpuUsPerOp} µs in the window, wall ${f.wallMs} ms, first op at ${f.timeToFirstOpMs} ms, peak RSS ${f.peakRssMb} MB, load ${f.load1}`;

const work = await mkdtemp(join(tmpdir(), 'mc-bench-replay-'));
const standIn = await child('./stand-in-server.ts', []);
const uri = `mongodb://127.0.0.1:${(JSON.parse(standIn.line) as { port: number }).port}/?directConnection=true`;
// The candidate's own stand-in: with writes allowed, the write guard refuses two targets
// that are one server (its canary, written through one, is "found" through the other).
const standIn2 = await child('./stand-in-server.ts', []);
const uri2 = `mongodb://127.0.0.1:${(JSON.parse(standIn2.line) as { port: number }).port}/?directConnection=true`;
const figures = {} as Record<string, number>;
const json: Record<string, unknown> = { bench: 'replay' };
try {
  const app = join(work, 'app.gz');
  await makeCapture(app, THROUGHPUT_OPS, 100, APP_CONNS, 'app');
  const appRun = (name: string, candidates: string[], extra: Record<string, unknown> = {}) =>
    replayChild({ capture: app, out: join(work, name), baselines: [`base=${uri}`], candidates, concurrency: APP_CONNS, timing: 'fast', allowWrites: true, ...extra });

  // ROUNDS rounds of one target, baseline + candidate and the bare driver loop, back to
  // back: the figures are medians over the rounds (the machine's speed swings from one
  // minute to the next), each round's are in the JSON's `rounds`.
  await bareDriver(uri, 5_000, 16); // JIT warm-up, unmeasured
  const rounds: { one: ChildFigures; two: ChildFigures; bare: Measured; bareCpuUsPerOp: number }[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const one = await appRun(`run-one-${r}`, []);
    log(`round ${r}: replay, one target, c${APP_CONNS}: ${fmtChild(one)}`);
    const two = await appRun(`run-two-${r}`, [`cand=${uri2}`]);
    log(`round ${r}: replay, baseline + candidate, c${APP_CONNS}: ${fmtChild(two)}`);
    const bare = await bareDriver(uri, THROUGHPUT_OPS, APP_CONNS);
    const bareCpuUsPerOp = 1e6 / bare.opsPerCpuSec;
    // The machine's speed swings (a shared host): the bare driver's CPU per find, measured in the same round, moves with it.
    log(`round ${r}: bare driver loop of finds, c${APP_CONNS}: ${fmt(bare)} (${bareCpuUsPerOp.toFixed(1)} µs CPU per find; the replay's CPU per operation is ${(one.cpuUsPerOp / bareCpuUsPerOp).toFixed(2)}× that)`);
    rounds.push({ one, two, bare, bareCpuUsPerOp });
  }
  const med = (pick: (r: (typeof rounds)[number]) => number, digits = 1) => Number(median(rounds.map(pick)).toFixed(digits));
  const one = { opsPerSec: med((r) => r.one.opsPerSec, 0), cpuUsPerOp: med((r) => r.one.cpuUsPerOp), userUsPerOp: med((r) => r.one.userUsPerOp), systemUsPerOp: med((r) => r.one.systemUsPerOp), windowCpuUsPerOp: med((r) => r.one.windowCpuUsPerOp), wallMs: med((r) => r.one.wallMs, 0), peakRssMb: med((r) => r.one.peakRssMb, 0) };
  const two = { opsPerSec: med((r) => r.two.opsPerSec, 0), cpuUsPerOp: med((r) => r.two.cpuUsPerOp), userUsPerOp: med((r) => r.two.userUsPerOp), systemUsPerOp: med((r) => r.two.systemUsPerOp), windowCpuUsPerOp: med((r) => r.two.windowCpuUsPerOp), wallMs: med((r) => r.two.wallMs, 0), peakRssMb: med((r) => r.two.peakRssMb, 0), differences: Math.max(...rounds.map((r) => r.two.differences)) };
  const bare = { opsPerSec: med((r) => r.bare.opsPerSec, 0) };
  const bareCpuUsPerOp = med((r) => r.bareCpuUsPerOp);
  const cpuRatioToBareDriver = med((r) => r.one.cpuUsPerOp / r.bareCpuUsPerOp, 2);

  const big = join(work, 'big.gz');
  log(`writing a ${FIRST_OP_OPS}-operation capture…`);
  await makeCapture(big, FIRST_OP_OPS, 10, APP_CONNS, 'app');
  const firstOp = await replayChild({ capture: big, out: join(work, 'run-first'), baselines: [`base=${uri}`], candidates: [], concurrency: APP_CONNS, timing: 'fast', allowWrites: true, firstOpOnly: true });
  log(`${FIRST_OP_OPS}-operation capture: first operation done ${firstOp.timeToFirstOpMs} ms after the replay started (load ${firstOp.load1})`);

  Object.assign(json, {
    workload: { ops: THROUGHPUT_OPS, connections: APP_CONNS, concurrency: APP_CONNS, mix: '2/3 finds by _id (1 KiB reply), 1/3 small inserts, 1 in 300 a 2-batch cursor', recordedReplies: 'full' },
    opsPerSec: one.opsPerSec,
    cpuUsPerOp: one.cpuUsPerOp,
    userUsPerOp: one.userUsPerOp,
    systemUsPerOp: one.systemUsPerOp,
    windowCpuUsPerOp: one.windowCpuUsPerOp,
    wallMs: one.wallMs,
    peakRssMb: one.peakRssMb,
    timeToFirstOpMs: firstOp.timeToFirstOpMs,
    twoTargets: two,
    cpuUsPerOpPerTarget: med((r) => r.two.cpuUsPerOp / 2),
    bareDriverOpsPerSecC32: bare.opsPerSec,
    bareDriverCpuUsPerOpC32: bareCpuUsPerOp,
    ratioToBareDriver: med((r) => r.one.opsPerSec / r.bare.opsPerSec, 2),
    cpuRatioToBareDriver,
    rounds: rounds.map((r) => ({
      one: { opsPerSec: r.one.opsPerSec, cpuUsPerOp: r.one.cpuUsPerOp, peakRssMb: r.one.peakRssMb, load1: r.one.load1 },
      two: { opsPerSec: r.two.opsPerSec, cpuUsPerOp: r.two.cpuUsPerOp, peakRssMb: r.two.peakRssMb, differences: r.two.differences },
      bare: { opsPerSec: r.bare.opsPerSec, cpuUsPerOp: Number(r.bareCpuUsPerOp.toFixed(1)) },
    })),
    reference: REFERENCE,
    targets: { opsPerSec: 16_000, cpuUsPerOp: 80, cpuUsPerOpPerTarget: 60, peakRssMb: 150, timeToFirstOpMs: 1_000 },
  });

  if (FULL) {
    const fast = join(work, 'fast.gz');
    await makeCapture(fast, THROUGHPUT_OPS, 100);
    // Warm the JIT (driver and replayer) once, unmeasured: without it the first run pays for compiling the hot path.
    await replayOnce(uri, fast, join(work, 'run-warm'), { timing: 'fast', concurrency: 16 });
    for (const c of [1, 16, 64]) {
      const r = await replayOnce(uri, fast, join(work, `run-c${c}`), { timing: 'fast', concurrency: c });
      figures[`opsPerSecC${c}`] = r.opsPerSec;
      log(`replay of finds vs stand-in, concurrency ${c}: ${fmt(r)}`);
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
    log(`recorded timing at 2,000 ops/s: p99 schedule lag ${figures.scheduleLagP99Ms} ms (achieved ${fmt(lag)})`);

    const finds = join(work, 'big-finds.gz');
    await makeCapture(finds, RSS_OPS, 10);
    const r = await replayChild({ capture: finds, out: join(work, 'run-big'), baselines: [`base=${uri}`], candidates: [], concurrency: 64, timing: 'fast', allowWrites: false });
    figures.peakRssMb1M = r.peakRssMb;
    figures.opsPerSecC64Big = r.opsPerSec;
    log(`${RSS_OPS} operations at concurrency 64: ${fmtChild(r)}`);
    Object.assign(json, figures, { ratioToBareDriverC64: Number((figures.opsPerSecC64! / figures.bareDriverOpsPerSecC64!).toFixed(2)) });
  }
} finally {
  await standIn.stop();
  await standIn2.stop();
  await rm(work, { recursive: true, force: true });
}
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
log(
  `targets (issue 23): opsPerSec ≥ 16000 (${met((json.opsPerSec as number) >= 16_000)}), cpuUsPerOp ≤ 80 (${met((json.cpuUsPerOp as number) <= 80)}), ` +
    `cpuUsPerOpPerTarget ≤ 60 (${met((json.cpuUsPerOpPerTarget as number) <= 60)}), peakRssMb ≤ 150 (${met((json.peakRssMb as number) <= 150)}), ` +
    `timeToFirstOpMs ≤ 1000 (${met((json.timeToFirstOpMs as number) >= 0 && (json.timeToFirstOpMs as number) <= 1_000)})`,
);
json.load1 = Number(loadavg()[0]!.toFixed(2));
process.stdout.write(`${JSON.stringify(json)}\n`);
