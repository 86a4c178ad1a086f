import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { BoundedFramer, BufferBudget } from '../../../../harness/capture/proxy/budget.ts';

/** A message of `size` bytes with a valid header (length, ids, OP_MSG) and a recognisable filler. */
function message(size: number, fill: number): Buffer {
  const b = Buffer.alloc(size, fill & 0xff);
  b.writeInt32LE(size, 0);
  b.writeInt32LE(fill, 4);
  b.writeInt32LE(0, 8);
  b.writeInt32LE(2013, 12);
  return b;
}

/** Cuts a stream into chunks at the given fractions. */
function cut(stream: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * stream.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of at) {
    if (p > from) out.push(stream.subarray(from, p));
    from = Math.max(from, p);
  }
  if (from < stream.length) out.push(stream.subarray(from));
  return out;
}

const sizes = fc.array(fc.integer({ min: 16, max: 3000 }), { minLength: 1, maxLength: 12 });
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 });

describe('a framer charged to a shared buffer budget', () => {
  test.prop([sizes, cuts], { numRuns: 300 })('frames every message, in order, when the budget holds them', (ss, cs) => {
    const msgs = ss.map((s, i) => message(s, i + 1));
    const budget = new BufferBudget(1 << 20);
    const f = new BoundedFramer(budget);
    const got: number[] = [];
    for (const c of cut(Buffer.concat(msgs), cs)) expect(f.push(c, 0, 0, (m) => got.push(m.readInt32LE(4)), () => expect.fail('released'))).toBeUndefined();
    expect(got).toEqual(msgs.map((_, i) => i + 1));
    expect(budget.held).toBe(0);
    expect(f.inMessage).toBe(false);
  });

  test.prop([sizes, cuts, fc.integer({ min: 64, max: 2000 })], { numRuns: 300 })(
    'lets go of exactly the messages larger than the budget, frames the rest, never holds more than the budget',
    (ss, cs, limit) => {
      const msgs = ss.map((s, i) => message(s, i + 1));
      const budget = new BufferBudget(limit);
      const f = new BoundedFramer(budget);
      const got: number[] = [];
      let released = 0;
      for (const c of cut(Buffer.concat(msgs), cs)) {
        expect(f.push(c, 0, 0, (m) => got.push(m.readInt32LE(4)), () => void released++)).toBeUndefined();
        expect(budget.held).toBeLessThanOrEqual(limit);
      }
      // A message wholly inside one chunk is framed without being held: it may pass even when larger than the budget.
      const framed = new Set(got);
      for (const [i, s] of ss.entries()) if (s <= limit) expect(framed.has(i + 1), `message ${i + 1} of ${s} bytes`).toBe(true);
      expect(got.length + released).toBe(msgs.length);
      expect(got).toEqual([...got].sort((a, b) => a - b));
      expect(budget.held).toBe(0);
    },
  );

  it('shares one budget between connections and gives it back when a connection closes', () => {
    const budget = new BufferBudget(1000);
    const a = new BoundedFramer(budget);
    const b = new BoundedFramer(budget);
    const big = message(900, 1);
    let releasedB = 0;
    a.push(big.subarray(0, 600), 0, 5, () => expect.fail('not whole'), () => expect.fail('fits'));
    expect(budget.held).toBe(600);
    expect(a.partialSinceMs).toBe(5);
    b.push(big.subarray(0, 600), 0, 6, () => expect.fail('not whole'), () => void releasedB++);
    expect(releasedB).toBe(1);
    expect(budget.held).toBe(600);
    // b passes the rest of its message through, then frames again; the stall clock runs until that message ends.
    expect(b.inMessage).toBe(true);
    const next: number[] = [];
    b.push(Buffer.concat([big.subarray(600), message(20, 7)]), 0, 7, (m) => next.push(m.readInt32LE(4)), () => expect.fail('fits'));
    expect(next).toEqual([7]);
    expect(b.inMessage).toBe(false);
    expect(b.partialSinceMs).toBe(0);
    a.dispose();
    expect(budget.held).toBe(0);
    expect(budget.peak).toBe(600);
  });

  test.prop([fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 })], { numRuns: 500 })('never throws on garbage and keeps its charge within the budget', (chunks) => {
    const budget = new BufferBudget(256);
    const f = new BoundedFramer(budget);
    for (const c of chunks) {
      const err = f.push(Buffer.from(c), 0, 0, () => undefined, () => undefined);
      expect(budget.held).toBeLessThanOrEqual(256);
      if (err) {
        expect(err.code).toBe('MC_WIRE_MALFORMED');
        break;
      }
    }
    f.dispose();
    expect(budget.held).toBe(0);
  });
});
