/**
 * Releases waiters at their intended times for recorded timing, with one timer for
 * all of them instead of one `setTimeout` per operation.
 *
 *   wait(at) ──► min-heap by `at` ──► pump(): release every waiter whose time has come
 *                                       next one ≥ 1 ms away: setTimeout(gap − 1 ms)
 *                                       next one < 1 ms away: setImmediate (sub-ms rest)
 *
 * Why: Node timers have millisecond granularity and fire late by up to ~1 ms (more
 * under load), so a timer per operation puts ~1 ms of lag on almost every send, and
 * thousands of timers with distinct due times cost a timer-list insert each. The
 * timer wakes 1 ms early on purpose; the last stretch is covered by `setImmediate`,
 * which yields to I/O on every turn, so replies are still read while waiting.
 * The clock is passed in (tests drive it; the engine uses `performance.now`).
 */
export type Clock = () => number;

interface Waiter {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
}

/** Below this much remaining time (ms) the pump turns with setImmediate instead of a timer. */
const SPIN_BELOW_MS = 1;

export class Scheduler {
  private readonly heap: Waiter[] = [];
  private seq = 0;
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;

  constructor(private readonly now: Clock = () => performance.now()) {}

  get pending(): number {
    return this.heap.length;
  }

  /** Resolves at or after `at` (clock ms); waiters due at the same time go in call order. */
  until(at: number): Promise<void> {
    return new Promise<void>((resolve) => {
      push(this.heap, { at, seq: this.seq++, resolve });
      if (this.heap[0]!.at === at) this.arm();
    });
  }

  /** Releases everyone still waiting (end of run, abort). */
  releaseAll(): void {
    this.disarm();
    while (this.heap.length > 0) pop(this.heap).resolve();
  }

  private readonly pump = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    const now = this.now();
    while (this.heap.length > 0 && this.heap[0]!.at <= now) pop(this.heap).resolve();
    if (this.heap.length > 0) this.arm();
  };

  private arm(): void {
    this.disarm();
    const gap = this.heap[0]!.at - this.now();
    if (gap >= SPIN_BELOW_MS) {
      this.timer = setTimeout(this.pump, Math.floor(gap - SPIN_BELOW_MS));
    } else this.immediate = setImmediate(this.pump);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}

function before(a: Waiter, b: Waiter): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

function push(h: Waiter[], w: Waiter): void {
  h.push(w);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!before(h[i]!, h[p]!)) break;
    [h[i], h[p]] = [h[p]!, h[i]!];
    i = p;
  }
}

function pop(h: Waiter[]): Waiter {
  const top = h[0]!;
  const last = h.pop()!;
  if (h.length > 0) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
  return top;
}
