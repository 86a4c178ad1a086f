// One measured replay in a process of its own, so that its CPU time and peak RSS are the
// replayer's alone (the bench's driver loop, the stand-in and the capture writer live in
// other processes). Prints one JSON line of figures on stdout.
// Usage: replay-child.ts JSON, JSON = {capture, out, baselines, candidates, concurrency,
//   timing, allowWrites, firstOpOnly}
//
// Figures:
//   wallMs            replay() called → returned: targets, write guard, pre-flight, replay,
//                     run files (start-up included; module loading is importMs)
//   cpuUsPerOp        CPU of the whole process (every thread: gunzip, zlib of the run
//                     files…) over the same span, per operation
//   userUsPerOp, systemUsPerOp  cpuUsPerOp split into user and kernel time
//   windowCpuUsPerOp  CPU per operation between the first operation and the last
//   opsPerSec         operations per second within that window
//   timeToFirstOpMs   replay() called → first operation done (progress polled every 2 ms with
//                     firstOpOnly; every 20 ms otherwise, so the window's edges are that coarse)
//   peakRssMb         the process's peak resident set (getrusage maxrss)
import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { replay, type ReplayProgress } from '../../harness/replay/run.ts';

interface ChildArgs {
  readonly capture: string;
  readonly out: string;
  readonly baselines: string[];
  readonly candidates: string[];
  readonly concurrency: number;
  readonly timing: 'fast' | 'recorded';
  readonly allowWrites: boolean;
  /** Stop the replay once its first operation is done: time to first operation only. */
  readonly firstOpOnly?: boolean;
}

const args = JSON.parse(process.argv[2]!) as ChildArgs;
const importMs = performance.now();
const cpuStart = process.cpuUsage();
const t0 = performance.now();
let first: { at: number; done: number; cpu: NodeJS.CpuUsage } | undefined;
let last: { at: number; done: number; cpu: NodeJS.CpuUsage; elapsedMs: number } | undefined;
const ac = new AbortController();
const { run } = await replay({
  captures: [args.capture],
  baselines: args.baselines,
  candidates: args.candidates,
  out: args.out,
  timing: args.timing,
  concurrency: args.concurrency,
  allowWrites: args.allowWrites,
  signal: ac.signal,
  // Polling costs CPU (process.cpuUsage, the progress figures): fine-grained only where the first operation is timed.
  progressIntervalMs: args.firstOpOnly ? 2 : 20,
  onProgress: (p: ReplayProgress) => {
    if (p.phase !== 'replay') return;
    const now = { at: performance.now(), done: p.done, cpu: process.cpuUsage() };
    if (!first && p.done > 0) {
      first = now;
      if (args.firstOpOnly) ac.abort();
    }
    if (!last || p.done >= last.done) last = { ...now, elapsedMs: p.elapsedMs };
  },
});
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpuStart);
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
const mem = process.memoryUsage();
const ops = last?.done ?? 0;
const us = (c: NodeJS.CpuUsage) => c.user + c.system;
const windowOps = first && last ? last.done - first.done : 0;
const windowCpu = first && last ? us(last.cpu) - us(first.cpu) : 0;
const windowMs = first && last ? last.at - first.at : 0;
await rm(args.out, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    ops,
    status: run.status,
    outcomes: run.counts.outcomes,
    differences: run.counts.differences,
    opsPerSec: windowMs > 0 ? Math.round((windowOps * 1000) / windowMs) : 0,
    cpuUsPerOp: ops > 0 ? Number((us(cpu) / ops).toFixed(1)) : 0,
    // Kernel time (socket writes and reads, most of it on loopback) varies with the machine's load more than user time.
    userUsPerOp: ops > 0 ? Number((cpu.user / ops).toFixed(1)) : 0,
    systemUsPerOp: ops > 0 ? Number((cpu.system / ops).toFixed(1)) : 0,
    windowCpuUsPerOp: windowOps > 0 ? Number((windowCpu / windowOps).toFixed(1)) : 0,
    wallMs: Math.round(wallMs),
    windowMs: Math.round(windowMs),
    timeToFirstOpMs: first ? Math.round(first.at - t0) : -1,
    peakRssMb,
    endHeapMb: Math.round(mem.heapTotal / 2 ** 20),
    endExternalMb: Math.round(mem.external / 2 ** 20),
    importMs: Math.round(importMs),
    load1: Number(loadavg()[0]!.toFixed(2)),
  })}\n`,
);
