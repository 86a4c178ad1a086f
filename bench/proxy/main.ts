// `npm run bench -- proxy`: throughput and added latency of the recording proxy
// against a direct connection and a plain TCP pipe (net, piping both ways, no
// parsing) to the same STAND-IN WIRE SERVER (answers instantly; see
// stand-in-server.ts), small find/insert ops. The proxy records as the CLI runs it:
// the recording worker writes the capture (gzip JSON lines) into a temp file, reply
// mode full. "inline" is the same proxy decoding on its forwarding thread into a sink
// that only counts (what the recording worker takes off that thread).
//
// Two phases, modes interleaved over rounds in each so drift hits all alike, figures
// are medians over rounds (throughput ratios: of per-round ratios):
// 1. closed loop (load.ts) at 1 and 64 connections: throughput. At 64 connections on
//    two cores this saturates the box, so its latencies measure queueing (the plain
//    pipe alone adds ~2 ms at p50), not a hop's per-message cost.
// 2. open loop, paced (paced.ts) at 64 connections and a fixed total rate of 50 % and
//    25 % of the pipe's closed-loop throughput measured in phase 1, latency from the
//    intended send time (coordinated-omission corrected). The headline
//    addedP50Us/addedP99Us come from this phase at the 50 % rate.
// Last line: one JSON object.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { startProxy } from '../../harness/capture/proxy/index.ts';
import { openCaptureWriter } from '../../harness/store/writer.ts';
import type { LoadResult } from './load.ts';
import type { PacedResult } from './paced.ts';

const DURATION_MS = Number(process.env.BENCH_PROXY_MS ?? 1000);
const WARMUP_MS = 500;
const ROUNDS = Number(process.env.BENCH_PROXY_ROUNDS ?? 3);
const PACED_MS = Number(process.env.BENCH_PROXY_PACED_MS ?? 1500);
const PACED_WARMUP_MS = 300;
const PACED_ROUNDS = Number(process.env.BENCH_PROXY_PACED_ROUNDS ?? 4);
const PACED_CONNECTIONS = 64;
const loadAtStart = os.loadavg();
// Fractions of the pipe's closed-loop throughput at 64 connections; the first is the headline.
const PACED_FRACTIONS = [0.5, 0.25];
const CONNECTIONS = [1, 64];

// Workers do not inherit tsx's loader on Node 20: register it in the worker first.
const worker = new Worker(
  `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); });`,
  { eval: true },
);
const serverPort = await new Promise<number>((resolve) => worker.once('message', (m: { port: number }) => resolve(m.port)));
const load = (port: number, connections: number) =>
  new Promise<LoadResult>((resolve) => {
    worker.once('message', (m: { result: LoadResult }) => resolve(m.result));
    worker.postMessage({ type: 'load', port, connections, durationMs: DURATION_MS, warmupMs: WARMUP_MS });
  });
const paced = (port: number, ratePerSec: number) =>
  new Promise<PacedResult>((resolve) => {
    worker.once('message', (m: { result: PacedResult }) => resolve(m.result));
    worker.postMessage({ type: 'paced', port, connections: PACED_CONNECTIONS, ratePerSec, durationMs: PACED_MS, warmupMs: PACED_WARMUP_MS });
  });

// Baseline (b): a plain TCP pipe, no parsing.
const pipeSockets = new Set<net.Socket>();
const pipe = net.createServer({ noDelay: true }, (client) => {
  const upstream = net.connect({ port: serverPort, host: '127.0.0.1', noDelay: true });
  pipeSockets.add(client).add(upstream);
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
await new Promise<void>((r) => pipe.listen(0, '127.0.0.1', r));
const pipePort = (pipe.address() as net.AddressInfo).port;

const dir = await mkdtemp(join(tmpdir(), 'mc-bench-proxy-'));
// As `mongo-compat proxy` runs it: the capture file written by the recording worker.
const proxy = await startProxy({
  upstream: `mongodb://127.0.0.1:${serverPort}/?directConnection=true`,
  capture: {
    path: join(dir, 'bench.jsonl.gz'),
    header: { source: { kind: 'proxy', host: `127.0.0.1:${serverPort}` }, startedAt: new Date().toISOString(), redaction: { mode: 'none' }, replyMode: 'full' },
  },
});
// For comparison, decoding and pairing on the forwarding thread itself: "inline" into the
// same capture writer, "bare" into a sink that only counts.
const inlineWriter = await openCaptureWriter(join(dir, 'inline.jsonl.gz'), {
  source: { kind: 'proxy', host: `127.0.0.1:${serverPort}` },
  startedAt: new Date().toISOString(),
  redaction: { mode: 'none' },
  replyMode: 'full',
});
const inline = await startProxy({ upstream: `mongodb://127.0.0.1:${serverPort}/?directConnection=true`, sink: inlineWriter });
const counting = { dropped: 0, n: 0, write: () => (counting.n++, true), close: async () => undefined };
const bare = await startProxy({ upstream: `mongodb://127.0.0.1:${serverPort}/?directConnection=true`, sink: counting });

type Mode = 'direct' | 'pipe' | 'proxy' | 'inline' | 'bare';
const ports: Record<Mode, number> = { direct: serverPort, pipe: pipePort, proxy: proxy.port, inline: inline.port, bare: bare.port };
const results: Record<string, LoadResult[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const connections of CONNECTIONS) {
    // The order rotates per round, so no mode always runs first (after a pause) or last.
    const order: Mode[] = ['direct', 'pipe', 'proxy', 'inline', 'bare'];
    for (let k = 0; k < round % order.length; k++) order.push(order.shift()!);
    for (const mode of order) {
      const r = await load(ports[mode], connections);
      (results[`${mode}@${connections}`] ??= []).push(r);
      process.stderr.write(
        `round ${round + 1} ${mode.padEnd(6)} ${String(connections).padStart(2)} conns: ${Math.round(r.ops / r.seconds)} ops/s, p50 ${r.p50} µs, p99 ${r.p99} µs\n`,
      );
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fig = (mode: Mode, c: number) => {
  const rs = results[`${mode}@${c}`]!;
  return { opsPerSec: Math.round(median(rs.map((r) => r.ops / r.seconds))), p50Us: median(rs.map((r) => r.p50)), p99Us: median(rs.map((r) => r.p99)) };
};
const summary: Record<string, unknown> = {};
for (const c of CONNECTIONS) summary[`c${c}`] = { direct: fig('direct', c), pipe: fig('pipe', c), proxy: fig('proxy', c), proxyInline: fig('inline', c), proxyNoWriter: fig('bare', c) };
const at = (c: number) => ({ d: fig('direct', c), p: fig('pipe', c), x: fig('proxy', c), i: fig('inline', c), b: fig('bare', c) });
const c64 = at(64);
const c1 = at(1);
/**
 * Ratio of two modes' throughput, paired by round (each round runs every mode back to
 * back within seconds), median over rounds: on a shared machine whose speed drifts by 2×
 * between rounds, pairing cancels the drift that medians taken per mode keep.
 */
const pairedRatio = (a: Mode, b: Mode, c: number) => {
  const xs = results[`${a}@${c}`]!;
  const ys = results[`${b}@${c}`]!;
  return median(xs.map((x, i) => x.ops / x.seconds / (ys[i]!.ops / ys[i]!.seconds)));
};

// Phase 2: paced, below saturation. Rates derive from this run's pipe throughput so the
// load is the same fraction of capacity on any machine.
const pacedModes = ['direct', 'pipe', 'proxy', 'inline'] as const;
const pacedResults: Record<string, PacedResult[]> = {};
const rates = PACED_FRACTIONS.map((f) => Math.max(100, Math.round(c64.p.opsPerSec * f)));
for (let round = 0; round < PACED_ROUNDS; round++) {
  for (const [i, rate] of rates.entries()) {
    const order: Mode[] = [...pacedModes];
    for (let k = 0; k < round % order.length; k++) order.push(order.shift()!);
    for (const mode of order) {
      const r = await paced(ports[mode], rate);
      (pacedResults[`${mode}@${i}`] ??= []).push(r);
      process.stderr.write(
        `paced round ${round + 1} ${mode.padEnd(6)} ${rate} ops/s (${PACED_FRACTIONS[i]! * 100} % of pipe): achieved ${r.achievedPerSec}, p50 ${r.p50} µs, p90 ${r.p90} µs, p99 ${r.p99} µs, max ${r.max} µs${r.unanswered ? `, ${r.unanswered} unanswered` : ''}\n`,
      );
    }
  }
}
const pacedFig = (mode: Mode, i: number) => {
  const rs = pacedResults[`${mode}@${i}`]!;
  return {
    achievedPerSec: median(rs.map((r) => r.achievedPerSec)),
    p50Us: median(rs.map((r) => r.p50)),
    p90Us: median(rs.map((r) => r.p90)),
    p99Us: median(rs.map((r) => r.p99)),
    unanswered: rs.reduce((n, r) => n + r.unanswered, 0),
  };
};
const pacedSummary = rates.map((rate, i) => {
  const d = pacedFig('direct', i);
  const p = pacedFig('pipe', i);
  const x = pacedFig('proxy', i);
  const inl = pacedFig('inline', i);
  return {
    fractionOfPipe: PACED_FRACTIONS[i]!,
    ratePerSec: rate,
    addedP50Us: x.p50Us - d.p50Us,
    addedP99Us: x.p99Us - d.p99Us,
    addedP50UsVsPipe: x.p50Us - p.p50Us,
    addedP99UsVsPipe: x.p99Us - p.p99Us,
    inlineAddedP50Us: inl.p50Us - d.p50Us,
    inlineAddedP99Us: inl.p99Us - d.p99Us,
    pipeAddedP50Us: p.p50Us - d.p50Us,
    pipeAddedP99Us: p.p99Us - d.p99Us,
    direct: d,
    pipe: p,
    proxy: x,
  };
});
const headline = pacedSummary[0]!;
await proxy.stop();
await bare.stop();
await inline.stop();
await inlineWriter.close();
const stats = proxy.stats;
const recorded = stats.opsRecorded;
const dropped = stats.dropped;
await rm(dir, { recursive: true, force: true });
for (const s of pipeSockets) s.destroy();
pipe.close();
worker.postMessage({ type: 'stop' });

const round2 = (n: number) => Math.round(n * 100) / 100;
process.stdout.write(
  `${JSON.stringify({
    bench: 'proxy',
    connections: 64,
    // Closed loop, 64 connections: throughput.
    throughputRatioVsPipe: round2(pairedRatio('proxy', 'pipe', 64)),
    throughputRatioVsDirect: round2(pairedRatio('proxy', 'direct', 64)),
    // Paced at 50 % of the pipe's closed-loop throughput, 64 connections, from intended send times.
    addedP50Us: headline.addedP50Us,
    addedP99Us: headline.addedP99Us,
    addedP50UsVsPipe: headline.addedP50UsVsPipe,
    addedP99UsVsPipe: headline.addedP99UsVsPipe,
    paced: pacedSummary,
    // Closed loop, 64 connections: latency under saturation (queueing, kept for comparison).
    closedLoop: {
      addedP50Us: c64.x.p50Us - c64.d.p50Us,
      addedP99Us: c64.x.p99Us - c64.d.p99Us,
      addedP50UsVsPipe: c64.x.p50Us - c64.p.p50Us,
      addedP99UsVsPipe: c64.x.p99Us - c64.p.p99Us,
    },
    single: {
      throughputRatioVsPipe: round2(pairedRatio('proxy', 'pipe', 1)),
      addedP50Us: c1.x.p50Us - c1.d.p50Us,
      addedP99Us: c1.x.p99Us - c1.d.p99Us,
    },
    throughputRatioVsPipeInline: round2(pairedRatio('inline', 'pipe', 64)),
    throughputRatioVsPipeWithoutWriter: round2(pairedRatio('bare', 'pipe', 64)),
    recorded,
    dropped,
    loadAverageAtStart: loadAtStart.map(round2),
    loadAverage: os.loadavg().map(round2),
    durationMs: DURATION_MS,
    rounds: ROUNDS,
    pacedMs: PACED_MS,
    pacedRounds: PACED_ROUNDS,
    ...summary,
  })}\n`,
);
