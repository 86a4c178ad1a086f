// `npm run bench -- shadow`: what `shadow` costs the application. Application throughput
// (closed loop, small finds and inserts alternating, bench/proxy/load.ts) through
// `shadow` with one candidate, against the plain recording proxy (as `mongo-compat proxy`
// runs it: capture file written by its worker) in the same run, modes alternating per
// round so drift hits both alike; ratios paired by round, medians over rounds.
//
// Production and the candidate are two STAND-IN WIRE SERVERS (bench/replay's: they are
// not databases; they answer every command at once with replies of the real shapes,
// finds with a 1 KiB document), each its own process, so the figures are the harness's
// own cost and not a server's. The candidate's runs at nice 19: in a deployment it is
// another host, not a process competing with the application's path for these cores. Shadow mirrors every operation (--sample 1): the finds
// go to the candidate and are compared, the inserts are skipped (no --allow-writes).
// What the mirror could not keep up with is dropped, counted, and reported as
// `mirroredShare` (operations the mirror took / operations production answered), and
// `candidateAnsweredShare` (of the reads it took, those the candidate answered).
//
// Last line: one JSON object.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { startProxy } from '../../harness/capture/proxy/index.ts';
import { SHADOW_DEFAULTS } from '../../harness/config/schema.ts';
import { startShadow } from '../../harness/shadow/shadow.ts';
import type { LoadResult } from '../proxy/load.ts';

const ROUNDS = Number(process.env.BENCH_SHADOW_ROUNDS ?? 7);
const DURATION_MS = Number(process.env.BENCH_SHADOW_MS ?? 3000);
const WARMUP_MS = 1000;
const CONNECTIONS = Number(process.env.BENCH_SHADOW_CONNECTIONS ?? 16);
/** Share of connections mirrored (1: every operation). */
const SAMPLE = Number(process.env.BENCH_SHADOW_SAMPLE ?? 1);
/** The mirror's idle-CPU floor (shadow's default when unset). */
const MIN_IDLE = process.env.BENCH_SHADOW_MIN_IDLE === undefined ? undefined : Number(process.env.BENCH_SHADOW_MIN_IDLE);
/** The mirror's CPU ceiling, share of one core (shadow's default when unset). */
const MAX_CPU = process.env.BENCH_SHADOW_MAX_CPU === undefined ? undefined : Number(process.env.BENCH_SHADOW_MAX_CPU);
const loadAtStart = os.loadavg();

async function standIn(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('../replay/stand-in-server.ts', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  return { port: (JSON.parse(line) as { port: number }).port, child };
}

const production = await standIn();
const candidate = await standIn();
// In a deployment the candidate is another host; here it shares the two cores with the
// application's path, so it runs at the lowest priority and takes only what is idle.
os.setPriority(candidate.child.pid!, 19);
const upstream = `mongodb://127.0.0.1:${production.port}/?directConnection=true`;
const worker = new Worker(
  `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(new URL('./load-worker.ts', import.meta.url).href)}); });`,
  { eval: true },
);
await new Promise((r) => worker.once('message', r));
const load = (port: number) =>
  new Promise<LoadResult>((resolve) => {
    worker.once('message', (m: { result: LoadResult }) => resolve(m.result));
    worker.postMessage({ port, connections: CONNECTIONS, durationMs: DURATION_MS, warmupMs: WARMUP_MS });
  });

const dir = await mkdtemp(join(tmpdir(), 'mc-bench-shadow-'));
interface Round {
  proxy: number;
  shadow: number;
  seen: number;
  mirrored: number;
  answered: number;
  dropped: number;
  lagP99Ms: number | null;
}
const rounds: Round[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const r: Partial<Round> = {};
  // Alternate which mode runs first.
  const order = round % 2 === 0 ? (['proxy', 'shadow'] as const) : (['shadow', 'proxy'] as const);
  for (const mode of order) {
    if (mode === 'proxy') {
      const proxy = await startProxy({
        upstream,
        capture: { path: join(dir, `proxy-${round}.jsonl.gz`), header: { source: { kind: 'proxy', host: `127.0.0.1:${production.port}` }, startedAt: new Date().toISOString(), redaction: { mode: 'none' }, replyMode: 'full' } },
      });
      const res = await load(proxy.port);
      await proxy.stop();
      r.proxy = res.ops / res.seconds;
    } else {
      const shadow = await startShadow({ upstream, baselines: [], candidates: [`candidate=mongodb://127.0.0.1:${candidate.port}/?directConnection=true`], out: join(dir, `shadow-${round}`), sample: { rate: SAMPLE, by: 'connection' }, allowWrites: false, ...(MIN_IDLE !== undefined ? { minIdleCpu: MIN_IDLE } : {}), ...(MAX_CPU !== undefined ? { maxMirrorCpu: MAX_CPU } : {}) });
      const res = await load(shadow.proxy.port);
      const { run } = await shadow.stop();
      const s = run.shadow!;
      const t = s.targets[0]!;
      r.shadow = res.ops / res.seconds;
      r.seen = s.seen;
      r.mirrored = s.mirrored;
      // The finds the candidate answered, of the finds production answered (inserts are never mirrored).
      const perTarget = run.counts.perTarget;
      r.answered = (perTarget.candidate?.ok ?? 0) + (perTarget.candidate?.error ?? 0);
      const finds = (perTarget.production?.ok ?? 0) + (perTarget.production?.error ?? 0);
      r.dropped = Object.values(s.dropped).reduce((n, x) => n + x, 0) - (s.dropped['sampled-out'] ?? 0) + (t.dropped.behind ?? 0) + (t.dropped.unavailable ?? 0);
      r.lagP99Ms = t.lagMs?.p99 ?? null;
      (r as { finds?: number }).finds = finds;
    }
  }
  rounds.push(r as Round);
  const x = r as Round & { finds: number };
  process.stderr.write(
    `round ${round + 1}: proxy ${Math.round(x.proxy)} ops/s, shadow ${Math.round(x.shadow)} ops/s (×${(x.shadow / x.proxy).toFixed(3)}); mirror: ${x.seen} seen, ${x.answered}/${x.finds} finds answered by the candidate, ${x.dropped} dropped, lag p99 ${x.lagP99Ms?.toFixed(1) ?? '-'} ms\n`,
  );
}
worker.terminate();
production.child.kill('SIGTERM');
candidate.child.kill('SIGTERM');
await rm(dir, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratio = median(rounds.map((r) => r.shadow / r.proxy));
// Of production's operations, the share the mirror took (the rest was dropped because it was behind) …
const share = median(rounds.map((r) => r.mirrored / Math.max(1, r.seen)));
// … and of the reads it took, the share the candidate answered.
const answered = median(rounds.map((r) => r.answered / Math.max(1, (r as Round & { finds: number }).finds)));
const result = {
  bench: 'shadow',
  connections: CONNECTIONS,
  rounds: ROUNDS,
  durationMs: DURATION_MS,
  proxyOpsPerSec: Math.round(median(rounds.map((r) => r.proxy))),
  shadowOpsPerSec: Math.round(median(rounds.map((r) => r.shadow))),
  ratioToProxy: Number(ratio.toFixed(3)),
  mirroredShare: Number(share.toFixed(3)),
  candidateAnsweredShare: Number(answered.toFixed(3)),
  dropped: median(rounds.map((r) => r.dropped)),
  lagP99Ms: median(rounds.map((r) => r.lagP99Ms ?? 0)),
  settings: { sample: SAMPLE, minIdleCpu: MIN_IDLE ?? SHADOW_DEFAULTS.minIdleCpu, maxMirrorCpu: MAX_CPU ?? SHADOW_DEFAULTS.maxMirrorCpu },
  target: { ratioToProxy: 0.9 },
  met: ratio >= 0.9,
  loadavg: { start: loadAtStart.map((x) => Number(x.toFixed(2))), end: os.loadavg().map((x) => Number(x.toFixed(2))) },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
