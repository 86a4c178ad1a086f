import { fc, test } from '@fast-check/vitest';
import { describe, expect, it, vi } from 'vitest';
import { Scheduler } from '../../../harness/replay/scheduler.ts';

describe('recorded-timing scheduler', () => {
  test.prop([fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 40 })], { numRuns: 15 })(
    'releases every waiter, never before its time, in time order (ties in call order)',
    async (offsets) => {
      const s = new Scheduler();
      const t0 = performance.now();
      const released: { i: number; at: number; lateMs: number }[] = [];
      await Promise.all(
        offsets.map((off, i) =>
          s.until(t0 + off).then(() => {
            const now = performance.now();
            released.push({ i, at: t0 + off, lateMs: now - (t0 + off) });
          }),
        ),
      );
      expect(released).toHaveLength(offsets.length);
      for (const r of released) expect(r.lateMs).toBeGreaterThanOrEqual(0);
      for (let k = 1; k < released.length; k++) {
        const a = released[k - 1]!;
        const b = released[k]!;
        expect(a.at < b.at || (a.at === b.at && a.i < b.i)).toBe(true);
      }
      expect(s.pending).toBe(0);
    },
  );

  it('releases a sub-millisecond wait on the next loop turns, not with a millisecond timer', async () => {
    let now = 0;
    const s = new Scheduler(() => now);
    let released = false;
    void s.until(0.4).then(() => (released = true));
    await new Promise((r) => setImmediate(r));
    expect(released).toBe(false); // not yet due: never early
    now = 0.5;
    // A timer per wait would need a whole millisecond of wall time; the pump turns with setImmediate.
    for (let k = 0; k < 3 && !released; k++) await new Promise((r) => setImmediate(r));
    expect(released).toBe(true);
  });

  it('follows an injected clock and releases everyone on demand', async () => {
    // Fake timers: "nothing fired yet" is then a fact about the armed timers, not about
    // how long the test happened to look.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
    try {
      let now = 0;
      const s = new Scheduler(() => now);
      let done = 0;
      const waits = [s.until(10_000).then(() => done++), s.until(20_000).then(() => done++)];
      now = 10_000;
      await vi.advanceTimersByTimeAsync(1_000);
      expect(done).toBe(0); // the timer was armed for ~10 s of timer time; a second of it fired nothing
      s.releaseAll();
      await Promise.all(waits);
      expect(done).toBe(2);
      expect(s.pending).toBe(0);
      expect(vi.getTimerCount()).toBe(0); // releaseAll disarmed the timer
    } finally {
      vi.useRealTimers();
    }
  });
});
