import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedFramer, BufferBudget } from '../../../../harness/capture/proxy/budget.ts';
import { InlineRecording } from '../../../../harness/capture/proxy/recording.ts';
import { OperationRecordSchema } from '../../../../harness/model/record.ts';
import { MemorySink } from '../../../helpers/memory-sink.ts';
import { messageBytesArb } from '../../../helpers/wire-arbitraries.ts';

/**
 * The recording half of the proxy under hostile input: real wire messages with bytes
 * flipped, cut or appended, and plain noise, framed by the budgeted framer and decoded
 * as requests and as replies. Nothing may throw, and whatever is recorded must be a
 * valid record. 10,000 inputs in all (the suite's wire fuzz budget), a few seconds.
 */
const mutated = fc
  .tuple(messageBytesArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }), fc.nat(), fc.boolean())
  .map(([bytes, flips, cutAt, cut]) => {
    const b = Buffer.from(bytes);
    for (const [at, mask] of flips) b[at % b.length]! ^= mask;
    return cut ? b.subarray(0, cutAt % (b.length + 1)) : b;
  });
/** Noise with a plausible length prefix, so it reaches the decoder instead of failing the framer at once. */
const noise = fc.uint8Array({ minLength: 16, maxLength: 300 }).map((a) => {
  const b = Buffer.from(a);
  b.writeInt32LE(b.length, 0);
  return b;
});
const input = fc.oneof({ weight: 3, arbitrary: mutated }, { weight: 1, arbitrary: noise }, { weight: 1, arbitrary: messageBytesArb });

describe('the recording pipeline on mutated and random wire input', () => {
  it('never throws and records only valid records (at least 10,000 inputs)', () => {
    let recorded = 0;
    let inputs = 0;
    fc.assert(
      fc.property(fc.array(input, { minLength: 1, maxLength: 3 }), fc.array(input, { minLength: 0, maxLength: 3 }), fc.nat(64), (requests, replies, chunk) => {
        inputs += requests.length + replies.length;
        const sink = new MemorySink();
        const rec = new InlineRecording(sink, { replyMode: 'full', redaction: { mode: 'none' } }, () => undefined);
        rec.open(1, 'p1:1', '127.0.0.1:1');
        const budget = new BufferBudget(4096);
        const req = new BoundedFramer(budget);
        const rep = new BoundedFramer(budget);
        const feed = (f: BoundedFramer, bytes: Buffer, isRequest: boolean): void => {
          const step = chunk + 1;
          for (let at = 0; at < bytes.length; at += step) {
            const err = f.push(bytes.subarray(at, at + step), 1000 + at, 0, (m, start) => rec.message(1, isRequest, m, start, start + 5), () => undefined);
            if (err) return;
          }
        };
        feed(req, Buffer.concat(requests), true);
        feed(rep, Buffer.concat(replies), false);
        rec.close(1);
        req.dispose();
        rep.dispose();
        expect(budget.held).toBe(0);
        for (const r of sink.records) expect(OperationRecordSchema.safeParse(r).success).toBe(true);
        recorded += sink.records.length;
      }),
      { numRuns: 5_000 },
    );
    expect(inputs).toBeGreaterThanOrEqual(10_000);
    // Not all noise: some of the inputs were whole operations.
    expect(recorded).toBeGreaterThan(0);
  }, 120_000);
});
