import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MessageCutter } from '../../../../harness/capture/pcap/cutter.ts';
import { newQuality } from '../../../../harness/capture/pcap/quality.ts';
import { REORDER_TOLERANCE_US, TcpDirection } from '../../../../harness/capture/pcap/tcp-stream.ts';
import { WireProtocolError } from '../../../../harness/errors.ts';
import { buildLegacy, buildOpMsg, OP_CODES, parseMessage } from '../../../../harness/wire/index.ts';
import { legacyArb, opMsgArb } from '../../../helpers/wire-arbitraries.ts';

/** Realistic messages: OP_MSG of any shape, and the legacy requests (their responseTo is 0). */
const messageArb = fc.oneof(
  { weight: 4, arbitrary: opMsgArb.map((m) => Buffer.concat(buildOpMsg(m))) },
  { weight: 1, arbitrary: legacyArb.filter((m) => m.opCode !== OP_CODES.OP_REPLY).map((m) => Buffer.concat(buildLegacy(m))) },
);

/**
 * Messages the codec reads whole (an OP_MSG whose checksum matches, for one): after a
 * gap the cutter finds its framing again only on such a message, since a header whose
 * message does not parse is as likely to be payload bytes that look like one.
 */
const wholeMessageArb = messageArb.filter((m) => !(parseMessage(m) instanceof WireProtocolError));

interface Seg {
  readonly start: number;
  readonly end: number;
}

/** Cut points over the stream, as segments in order. */
function segments(length: number, cuts: readonly number[]): Seg[] {
  const points = [...new Set(cuts.map((c) => c % Math.max(1, length)).filter((c) => c > 0))].sort((a, b) => a - b);
  const out: Seg[] = [];
  let at = 0;
  for (const p of [...points, length]) {
    if (p > at) out.push({ start: at, end: p });
    at = p;
  }
  return out;
}

/** Moves each segment back by up to `by` places: reordering bounded like a real network's. */
function reorder(segs: readonly Seg[], moves: readonly number[], by: number): Seg[] {
  const out = [...segs];
  for (let i = 0; i < out.length; i++) {
    const j = Math.min(out.length - 1, i + ((moves[i % Math.max(1, moves.length)] ?? 0) % (by + 1)));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function run(stream: Buffer, order: readonly Seg[], base: number) {
  const quality = newQuality();
  const got: Buffer[] = [];
  const cutter = new MessageCutter(false, 16 * 1024 * 1024, quality, (m) => got.push(Buffer.from(m)));
  const dir = new TcpDirection(1024 * 1024, quality, cutter);
  dir.syn((base - 1) >>> 0);
  cutter.startAtBoundary();
  let t = 0;
  for (const s of order) dir.segment((base + s.start) >>> 0, stream.subarray(s.start, s.end), s.end - s.start, ++t);
  dir.end(++t);
  return { got, quality };
}

/** Sequence bases near the 2^32 wrap as often as anywhere else. */
const baseArb = fc.oneof(fc.nat(0xffffffff), fc.integer({ min: 0xffffffff - 5000, max: 0xffffffff }));

const dupArb = fc.array(fc.nat(), { maxLength: 6 });
const cutArb = fc.array(fc.nat(), { maxLength: 40 });

function withDuplicates(order: readonly Seg[], dups: readonly number[]): Seg[] {
  let out = [...order];
  for (const d of dups) {
    const i = d % out.length;
    out = [...out.slice(0, i + 1), out[i]!, ...out.slice(i + 1)];
  }
  return out;
}

describe('TCP reassembly and message cutting', () => {
  test('random segmentation, reordering within the window and duplicates: exactly the messages sent, in order', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 1, maxLength: 12 }), cutArb, cutArb, dupArb, baseArb, (messages, cuts, moves, dups, base) => {
        const stream = Buffer.concat(messages);
        const segs = segments(stream.length, cuts);
        const order = withDuplicates(reorder(segs, moves, 3), dups);
        // A retransmission that merges the first two segments into one.
        if (segs.length > 1) order.push({ start: segs[0]!.start, end: segs[1]!.end });
        const { got, quality } = run(stream, order, base);
        expect(got.map((m) => m.toString('hex'))).toEqual(messages.map((m) => m.toString('hex')));
        expect(quality.gaps).toBe(0);
        expect(quality.messagesLost).toBe(0);
        expect(quality.lostBytes).toBe(0);
        expect(quality.desyncs).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  test('dropped segments: the other messages come out whole and in order, every lost byte is counted, and every run of lost messages', () => {
    fc.assert(
      fc.property(
        fc.array(wholeMessageArb, { minLength: 2, maxLength: 12 }),
        cutArb,
        cutArb,
        fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
        dupArb,
        baseArb,
        (messages, cuts, moves, drops, dups, base) => {
          const stream = Buffer.concat(messages);
          const segs = segments(stream.length, cuts);
          // The last segment stays: a loss at the very end is invisible to any reader (nothing after it).
          const dropped = new Set(drops.map((d) => d % Math.max(1, segs.length - 1)).filter(() => segs.length > 1));
          const kept = segs.filter((_, i) => !dropped.has(i));
          const order = withDuplicates(reorder(kept, moves, 2), dups);
          const { got, quality } = run(stream, order, base);

          const lostRanges = segs.filter((_, i) => dropped.has(i));
          const lostBytes = lostRanges.reduce((n, r) => n + r.end - r.start, 0);
          let at = 0;
          const lost: boolean[] = messages.map((m) => {
            const [s, e] = [at, (at += m.length)];
            return lostRanges.some((r) => r.start < e && r.end > s);
          });
          const expected = messages.filter((_, i) => !lost[i]);
          expect(got.map((m) => m.toString('hex'))).toEqual(expected.map((m) => m.toString('hex')));
          expect(quality.lostBytes).toBe(lostBytes);
          const actuallyLost = lost.filter(Boolean).length;
          const runs = lost.filter((l, i) => l && !lost[i - 1]).length;
          expect(quality.messagesLost).toBeGreaterThanOrEqual(runs);
          expect(quality.messagesLost).toBeLessThanOrEqual(actuallyLost);
          if (actuallyLost > 0) expect(quality.gaps).toBeGreaterThan(0);
          // Bytes skipped while resynchronising are bytes received and not delivered, each counted once.
          const delivered = expected.reduce((n, m) => n + m.length, 0);
          expect(quality.resyncSkippedBytes).toBeLessThanOrEqual(stream.length - lostBytes - delivered);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('a stream joined in the middle begins at the first whole message', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 2, maxLength: 8 }), fc.nat(), cutArb, (messages, skip, cuts) => {
        const stream = Buffer.concat(messages);
        const from = skip % messages[0]!.length;
        const quality = newQuality();
        const got: Buffer[] = [];
        const cutter = new MessageCutter(false, 1 << 24, quality, (m) => got.push(Buffer.from(m)));
        const dir = new TcpDirection(1 << 20, quality, cutter);
        for (const s of segments(stream.length - from, cuts)) dir.segment(1000 + s.start, stream.subarray(from + s.start, from + s.end), s.end - s.start, 1);
        dir.end(2);
        const expected = from === 0 ? messages : messages.slice(1);
        expect(got.map((m) => m.toString('hex'))).toEqual(expected.map((m) => m.toString('hex')));
        // The rest of the first message is what was skipped to find the second, each byte counted once.
        expect(quality.resyncSkippedBytes).toBe(from === 0 ? 0 : messages[0]!.length - from);
      }),
      { numRuns: 150 },
    );
  });

  test('a hole the peer acknowledged is given up after the reordering tolerance; the message after it comes out before the end', () => {
    const messages = [0, 1, 2].map((i) => Buffer.concat(buildOpMsg({ requestId: i + 1, sections: [{ kind: 0, body: Buffer.from([5, 0, 0, 0, 0]) }] })));
    const quality = newQuality();
    const got: number[] = [];
    const cutter = new MessageCutter(true, 1 << 24, quality, (m) => got.push(m.readInt32LE(4)));
    const dir = new TcpDirection(1 << 20, quality, cutter);
    const len = messages[0]!.length;
    dir.segment(0, messages[0]!, len, 1);
    dir.segment(2 * len, messages[2]!, len, 2);
    expect(got).toEqual([1]);
    dir.acked(2 * len, 3);
    // An acknowledgement captured just before the data it covers: not a loss yet.
    expect(got).toEqual([1]);
    dir.acked(2 * len, 3 + REORDER_TOLERANCE_US);
    expect(got).toEqual([1, 3]);
    // An acknowledgement on the peer's own data settles at once.
    dir.segment(4 * len, messages[0]!, len, 10);
    dir.acked(5 * len, 11, true);
    expect(got).toEqual([1, 3, 1]);
    expect(quality).toMatchObject({ gaps: 2, lostBytes: 2 * len, messagesLost: 2 });
  });

  test('an acknowledgement captured before the data it covers makes no gap when the data follows within the tolerance', () => {
    const messages = [0, 1, 2].map((i) => Buffer.concat(buildOpMsg({ requestId: i + 1, sections: [{ kind: 0, body: Buffer.from([5, 0, 0, 0, 0]) }] })));
    const quality = newQuality();
    const got: number[] = [];
    const dir = new TcpDirection(1 << 20, quality, new MessageCutter(true, 1 << 24, quality, (m) => got.push(m.readInt32LE(4))));
    const len = messages[0]!.length;
    dir.segment(0, messages[0]!, len, 1);
    dir.segment(2 * len, messages[2]!, len, 2);
    dir.acked(3 * len, 3);
    dir.segment(len, messages[1]!, len, 4);
    expect(got).toEqual([1, 2, 3]);
    expect(quality.gaps).toBe(0);
  });

  test('a message over the cap is skipped by its length and counted; framing continues after it', () => {
    const big = Buffer.concat(buildOpMsg({ requestId: 7, sections: [{ kind: 0, body: Buffer.concat([Buffer.from([0x10, 0x27, 0, 0]), Buffer.alloc(9996)]) }] }));
    big.writeInt32LE(10000, 21);
    big[big.length - 1] = 0;
    const small = Buffer.concat(buildOpMsg({ requestId: 8, sections: [{ kind: 0, body: Buffer.from([5, 0, 0, 0, 0]) }] }));
    const quality = newQuality();
    const got: number[] = [];
    const cutter = new MessageCutter(true, 1000, quality, (m) => got.push(m.readInt32LE(4)));
    const dir = new TcpDirection(1 << 20, quality, cutter);
    const stream = Buffer.concat([big, small]);
    for (let i = 0; i < stream.length; i += 700) dir.segment(i, stream.subarray(i, i + 700), Math.min(700, stream.length - i), 1);
    dir.end(2);
    expect(got).toEqual([8]);
    expect(quality).toMatchObject({ capHits: 1, messagesLost: 1, gaps: 0 });
  });

  test('bytes skipped while resynchronising and bytes delivered never add up to more than the bytes received', () => {
    const stepArb = fc.oneof(
      fc.record({ kind: fc.constant('message' as const), bytes: messageArb, from: fc.nat(), cut: fc.nat() }),
      // A message's header and part of its body, then other bytes: a candidate that never completes.
      fc.record({
        kind: fc.constant('message' as const),
        bytes: fc.tuple(messageArb, fc.uint8Array({ maxLength: 30 }), fc.nat()).map(([m, junk, n]) => Buffer.concat([m.subarray(0, 16 + (n % Math.max(1, m.length - 16))), Buffer.from(junk)])),
        from: fc.constant(0),
        cut: fc.nat(),
      }),
      fc.record({ kind: fc.constant('junk' as const), bytes: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)), from: fc.constant(0), cut: fc.nat() }),
      fc.record({ kind: fc.constant('gap' as const), bytes: fc.integer({ min: 1, max: 200 }).map((n) => Buffer.alloc(n)), from: fc.constant(0), cut: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 20 }), fc.boolean(), (steps, synced) => {
        const quality = newQuality();
        let delivered = 0;
        const cutter = new MessageCutter(synced, 1 << 24, quality, (m) => void (delivered += m.length));
        let received = 0;
        for (const step of steps) {
          if (step.kind === 'gap') {
            cutter.gap(step.bytes.length, 1);
            continue;
          }
          // Messages joined in their middle half the time, each split in two pushes.
          const bytes = step.from % 2 === 0 ? step.bytes : step.bytes.subarray(step.from % step.bytes.length);
          const cut = step.cut % (bytes.length + 1);
          cutter.data(bytes.subarray(0, cut), 1);
          cutter.data(bytes.subarray(cut), 1);
          received += bytes.length;
        }
        cutter.end();
        expect(quality.resyncSkippedBytes + delivered).toBeLessThanOrEqual(received);
      }),
      { numRuns: 300 },
    );
  });

  test('never throws on arbitrary bytes and segments, and holds no more than the window', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ seq: fc.nat(0xffffffff), data: fc.uint8Array({ maxLength: 80 }), ack: fc.option(fc.nat(0xffffffff)) }), { maxLength: 30 }),
        (segs) => {
          const quality = newQuality();
          const cutter = new MessageCutter(false, 4096, quality, () => undefined);
          const dir = new TcpDirection(512, quality, cutter);
          for (const s of segs) {
            dir.segment(s.seq, Buffer.from(s.data), s.data.length, 1);
            if (s.ack !== null) dir.acked(s.ack, 1);
          }
          dir.end(2);
        },
      ),
      { numRuns: 300 },
    );
  });
});
