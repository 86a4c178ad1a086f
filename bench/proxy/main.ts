// `npm run bench -- proxy`: throughput and added latency of the recording proxy
// against a direct connection and a plain TCP pipe (net, piping both ways, no
// parsing) to the same STAND-IN WIRE SERVER (answers instantly; see
// stand-in-server.ts), at 1 and 64 concurrent connections, small find/insert ops.
// The proxy records through the real capture writer (gzip JSON lines) into a temp
// file, reply mode full. Modes are interleaved over rounds so drift hits all alike;
// the figures are medians over rounds. Last line: one JSON object.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { startProxy } from '../../harness/capture/proxy/index.ts';
import { openCaptureWriter } from '../../harness/store/writer.ts';
import type { LoadResult } from './load.ts';

const DURATION_MS = Number(process.env.BENCH_PROXY_MS ?? 1500);
const WARMUP_MS = 500;
const ROUNDS = Number(process.env.BENCH_PROXY_ROUNDS ?? 5);
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
const writer = await openCaptureWriter(join(dir, 'bench.jsonl.gz'), {
  source: { kind: 'proxy', host: `127.0.0.1:${serverPort}` },
  startedAt: new Date().toISOString(),
  redaction: { mode: 'none' },
  replyMode: 'full',
});
const proxy = await startProxy({ upstream: `mongodb://127.0.0.1:${serverPort}/?directConnection=true`, sink: writer });
// The same proxy with a sink that only counts: separates decoding and pairing from the capture writer's cost.
const counting = { dropped: 0, n: 0, write: () => (counting.n++, true), close: async () => undefined };
const bare = await startProxy({ upstream: `mongodb://127.0.0.1:${serverPort}/?directConnection=true`, sink: counting });

type Mode = 'direct' | 'pipe' | 'proxy' | 'bare';
const ports: Record<Mode, number> = { direct: serverPort, pipe: pipePort, proxy: proxy.port, bare: bare.port };
const results: Record<string, LoadResult[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const connections of CONNECTIONS) {
    // The order rotates per round, so no mode always runs first (after a pause) or last.
    const order: Mode[] = ['direct', 'pipe', 'proxy', 'bare'];
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
for (const c of CONNECTIONS) summary[`c${c}`] = { direct: fig('direct', c), pipe: fig('pipe', c), proxy: fig('proxy', c), proxyNoWriter: fig('bare', c) };
const at = (c: number) => ({ d: fig('direct', c), p: fig('pipe', c), x: fig('proxy', c), b: fig('bare', c) });
const c64 = at(64);
const c1 = at(1);
const stats = proxy.stats;
const recorded = stats.opsRecorded;
const dropped = stats.dropped;

await proxy.stop();
await bare.stop();
await writer.close();
await rm(dir, { recursive: true, force: true });
for (const s of pipeSockets) s.destroy();
pipe.close();
worker.postMessage({ type: 'stop' });

const round2 = (n: number) => Math.round(n * 100) / 100;
process.stdout.write(
  `${JSON.stringify({
    bench: 'proxy',
    connections: 64,
    throughputRatioVsPipe: round2(c64.x.opsPerSec / c64.p.opsPerSec),
    throughputRatioVsDirect: round2(c64.x.opsPerSec / c64.d.opsPerSec),
    addedP50Us: c64.x.p50Us - c64.d.p50Us,
    addedP99Us: c64.x.p99Us - c64.d.p99Us,
    addedP50UsVsPipe: c64.x.p50Us - c64.p.p50Us,
    addedP99UsVsPipe: c64.x.p99Us - c64.p.p99Us,
    single: {
      throughputRatioVsPipe: round2(c1.x.opsPerSec / c1.p.opsPerSec),
      addedP50Us: c1.x.p50Us - c1.d.p50Us,
      addedP99Us: c1.x.p99Us - c1.d.p99Us,
    },
    throughputRatioVsPipeWithoutWriter: round2(c64.b.opsPerSec / c64.p.opsPerSec),
    recorded,
    dropped,
    loadAverage: os.loadavg().map(round2),
    durationMs: DURATION_MS,
    rounds: ROUNDS,
    ...summary,
  })}\n`,
);
