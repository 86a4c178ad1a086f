import { describe, expect, it } from 'vitest';
import { newHistogram } from '../../../harness/model/histogram.ts';
import { Pacing, READ_AHEAD_MS, SCHEDULE_LEAD_MS } from '../../../harness/replay/pacing.ts';

/** Recorded times are µs since the epoch; the clock is ms. */
const T0 = 1_700_000_000_000_000;

describe('recorded-timing pacing', () => {
  it('puts each record at the first record clock time plus the lead, plus its recorded offset divided by the speed', () => {
    const now = 500;
    const p = new Pacing(2, undefined, () => now);
    p.anchor(T0);
    p.anchor(T0 + 5_000_000); // only the first record anchors the schedule
    expect(p.intendedAt(T0)).toBe(500 + SCHEDULE_LEAD_MS);
    expect(p.intendedAt(T0 + 10_000)).toBe(500 + SCHEDULE_LEAD_MS + 5);
  });

  it('lets the reader on without a promise while a record is within the read-ahead window, and holds it beyond', async () => {
    let now = 0;
    const p = new Pacing(1, undefined, () => now);
    p.anchor(T0);
    // Due at LEAD + offset: read ahead when that is at most READ_AHEAD_MS away.
    expect(p.readAhead(T0 + (READ_AHEAD_MS - SCHEDULE_LEAD_MS) * 1000)).toBeUndefined();
    const wait = p.readAhead(T0 + (READ_AHEAD_MS - SCHEDULE_LEAD_MS + 2) * 1000);
    expect(wait).toBeInstanceOf(Promise);
    let released = false;
    void wait!.then(() => (released = true));
    await new Promise((r) => setImmediate(r));
    expect(released).toBe(false);
    now = 2;
    await wait;
    expect(released).toBe(true);
  });

  it('releases an operation at its intended time, returns that time and keeps how late it went out', async () => {
    let now = 0;
    const lag = newHistogram();
    const p = new Pacing(1, lag, () => now);
    p.anchor(T0);
    const intended = SCHEDULE_LEAD_MS + 3;
    let released = false;
    const due = p.due(T0 + 3_000).then((at) => {
      released = true;
      return at;
    });
    await new Promise((r) => setImmediate(r));
    expect(released).toBe(false); // never early
    now = intended + 0.25;
    expect(await due).toBe(intended);
    // A late operation goes at once, its lag kept too.
    now = 1_000;
    expect(await p.due(T0)).toBe(SCHEDULE_LEAD_MS);
    expect(lag.totalCount).toBe(2);
    expect(lag.maxValue).toBeGreaterThanOrEqual((1_000 - SCHEDULE_LEAD_MS) * 1000 * 0.99);
    expect(lag.minNonZeroValue).toBeLessThanOrEqual(260);
  });

  it('keeps no lag on a pass that is not measured', async () => {
    let now = 10_000;
    const p = new Pacing(1, undefined, () => now);
    p.anchor(T0);
    now = 20_000;
    expect(await p.due(T0)).toBe(10_000 + SCHEDULE_LEAD_MS);
    expect(p.lag).toBeUndefined();
  });
});
