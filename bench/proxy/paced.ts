import net from 'node:net';
import { newHistogram, recordUs } from '../../harness/model/histogram.ts';
import { MessageFramer } from '../../harness/wire/index.ts';
import { REQUESTS } from './load.ts';

/**
 * Open-loop, paced load: `connections` sockets share one schedule of `ratePerSec`
 * operations per second, evenly spaced (operation k is due at t0 + k/rate and goes
 * to connection k mod connections). A connection keeps one request in flight, as a
 * driver's pooled connection does; when its previous reply is late, the due request
 * waits in that connection's queue and goes out with the reply.
 *
 * Coordinated-omission correction: a request that had to wait because its connection
 * was still busy with a late reply is charged from its INTENDED send time (as wrk2
 * and autocannon's paced mode do), so a slow system under test cannot hide its delay
 * by slowing the generator. The generator's own timer lateness (setTimeout fires up
 * to ~1 ms late) is not charged: it is the same for every mode and says nothing about
 * the hop. The alternative, spinning on setImmediate to send on time, kept a whole
 * core busy on this 2-core box and starved the pipe and proxy thread (measured: pipe
 * p50 2-4 ms at 50 % rate, direct 60 µs).
 * Below saturation this measures the per-message cost of a hop, not queueing.
 */
export interface PacedResult {
  /** Operations whose replies arrived in the measured window. */
  ops: number;
  seconds: number;
  /** Achieved rate over the measured window: tells whether the generator kept up. */
  achievedPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Requests due in the window with no reply after a 2 s drain (the bench reports a nonzero count). */
  unanswered: number;
}

export async function runPaced(port: number, connections: number, ratePerSec: number, durationMs: number, warmupMs: number): Promise<PacedResult> {
  const hist = newHistogram();
  const sockets: net.Socket[] = [];
  // Per connection: intended send times waiting for the in-flight reply, and the in-flight request's intended time.
  const pending: number[][] = [];
  const inFlight: number[] = [];
  // Per connection: when the in-flight request was written, and when the connection last became free.
  const sentAt: number[] = [];
  const freeAt: number[] = [];
  let requestId = 0;
  let ops = 0;
  const intervalMs = 1000 / ratePerSec;
  let measureFrom = Infinity;
  let measureTo = Infinity;

  const send = (c: number, intended: number, now: number) => {
    const req = Buffer.from(REQUESTS[requestId & 1]!);
    req.writeInt32LE(++requestId, 4);
    inFlight[c] = intended;
    sentAt[c] = now;
    sockets[c]!.write(req);
  };

  await Promise.all(
    Array.from({ length: connections }, (_, c) => {
      const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
      sockets.push(socket);
      pending.push([]);
      inFlight.push(-1);
      sentAt.push(0);
      freeAt.push(0);
      const framer = new MessageFramer();
      socket.on('data', (chunk: Buffer) =>
        framer.push(chunk, 0, () => {
          const now = performance.now();
          const intended = inFlight[c]!;
          // Only requests due inside the window count, so warm-up and drain do not.
          if (intended >= measureFrom && intended < measureTo) {
            ops++;
            // Round trip, plus the wait the previous (late) reply imposed past the intended time.
            const sent = sentAt[c]!;
            const blocked = Math.max(0, Math.min(freeAt[c]!, sent) - intended);
            recordUs(hist, (now - sent + blocked) * 1000);
          }
          inFlight[c] = -1;
          freeAt[c] = now;
          const next = pending[c]!.shift();
          if (next !== undefined) send(c, next, now);
        }),
      );
      socket.on('error', () => undefined);
      return new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    }),
  );

  const t0 = performance.now();
  measureFrom = t0 + warmupMs;
  measureTo = measureFrom + durationMs;
  const end = measureTo;
  let k = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      for (let due = t0 + k * intervalMs; due <= now && due < end; due = t0 + ++k * intervalMs) {
        const c = k % connections;
        if (inFlight[c]! < 0) send(c, due, now);
        else pending[c]!.push(due);
      }
      const nextDue = t0 + k * intervalMs;
      if (nextDue >= end) return resolve();
      setTimeout(tick, Math.max(0, nextDue - now));
    };
    tick();
  });
  // Drain: give outstanding replies a bounded time to arrive; a missing one counts as not done.
  const drainUntil = performance.now() + 2000;
  while (performance.now() < drainUntil && (inFlight.some((t) => t >= 0) || pending.some((q) => q.length > 0))) await sleep(5);
  const missing = inFlight.filter((t) => t >= measureFrom && t < measureTo).length + pending.reduce((n, q) => n + q.length, 0);
  for (const s of sockets) s.destroy();
  const seconds = durationMs / 1000;
  return {
    ops,
    seconds,
    achievedPerSec: Math.round(ops / seconds),
    p50: hist.getValueAtPercentile(50),
    p90: hist.getValueAtPercentile(90),
    p99: hist.getValueAtPercentile(99),
    max: hist.getValueAtPercentile(100),
    unanswered: missing,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
