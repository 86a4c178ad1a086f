import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { createLatencyHistogram, decodeHistogram, encodeHistogram, recordMs, summarise } from '../../../harness/contention/histogram.ts';
import { errorCodeName } from '../../../harness/contention/error-code.ts';
import { seededRng } from '../../../harness/contention/rng.ts';

describe('latency histogram', () => {
  it('records milliseconds as microseconds and summarises percentiles', () => {
    const h = createLatencyHistogram();
    for (let i = 1; i <= 1000; i++) recordMs(h, i / 10);
    const s = summarise(h);
    expect(s.count).toBe(1000);
    expect(s.p50Us).toBeGreaterThanOrEqual(49_900);
    expect(s.p50Us).toBeLessThanOrEqual(50_100);
    expect(s.maxUs).toBeGreaterThanOrEqual(99_900);
  });

  propTest.prop([fc.array(fc.double({ min: 0, max: 120_000, noNaN: true }), { maxLength: 200 })], { numRuns: 40 })('encodes and decodes to the same counts and percentiles', (values) => {
    const h = createLatencyHistogram();
    for (const v of values) recordMs(h, v);
    const back = decodeHistogram(encodeHistogram(h));
    expect(summarise(back)).toEqual(summarise(h));
  });
});

describe('errorCodeName and seededRng', () => {
  it('names server codes, duplicate keys and timeouts', () => {
    expect(errorCodeName({ codeName: 'WriteConflict', code: 112 })).toBe('WriteConflict');
    expect(errorCodeName({ code: 11000 })).toBe('DuplicateKey');
    expect(errorCodeName({ name: 'MongoNetworkTimeoutError' })).toBe('Timeout');
  });

  propTest.prop([fc.anything()])('never throws on anything thrown', (e) => {
    expect(typeof errorCodeName(e)).toBe('string');
  });

  propTest.prop([fc.integer({ min: 0, max: 0xffffffff })])('gives the same stream for the same seed, within [0, 1)', (seed) => {
    const a = seededRng(seed);
    const b = seededRng(seed);
    for (let i = 0; i < 20; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});
