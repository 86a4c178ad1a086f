import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** What should become true, as the failure message names it: "the proxy to close every connection". */
  readonly what: string;
  /** How long it may take (default 10 s): under the test's own timeout, so the failure names the condition. */
  readonly timeoutMs?: number;
  /** Pause between checks (default 10 ms). */
  readonly intervalMs?: number;
}

/**
 * Checks `check` until it returns a truthy value and resolves with that value, or fails
 * with one line saying what never happened. Tests wait for the condition they need
 * rather than for a fixed time: a fixed sleep is too short on a loaded machine and
 * wasted time on an idle one. A check that throws fails at once (a bug in the test,
 * not "not yet"); one that must tolerate failures catches them itself.
 */
export async function waitFor<T>(check: () => T | Promise<T>, options: WaitForOptions): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (performance.now() >= deadline) throw new Error(`waited ${timeoutMs} ms for ${options.what}; it did not happen`);
    await sleep(intervalMs);
  }
}
