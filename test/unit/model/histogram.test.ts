import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { decodeHistogram, encodeHistogram, mergeInto, newHistogram, recordUs, summarise } from '../../../harness/model/histogram.ts';

const latencies = fc.array(fc.integer({ min: 1, max: 60_000_000 }), { maxLength: 200 });

describe('latency histograms', () => {
  test.prop([latencies], { numRuns: 30 })('survive compressed encoding exactly', (values) => {
    const h = newHistogram();
    for (const v of values) recordUs(h, v);
    const back = decodeHistogram(encodeHistogram(h));
    expect(summarise(back)).toEqual(summarise(h));
  });

  test.prop([latencies, latencies], { numRuns: 30 })('merge losslessly: two shards add up to one run', (a, b) => {
    const ha = newHistogram();
    const hb = newHistogram();
    const whole = newHistogram();
    for (const v of a) {
      recordUs(ha, v);
      recordUs(whole, v);
    }
    for (const v of b) {
      recordUs(hb, v);
      recordUs(whole, v);
    }
    const merged = decodeHistogram(encodeHistogram(ha));
    mergeInto(merged, decodeHistogram(encodeHistogram(hb)));
    expect(summarise(merged)).toEqual(summarise(whole));
  });

  it('clamps values outside the trackable range instead of throwing', () => {
    const h = newHistogram();
    recordUs(h, -5);
    recordUs(h, 0.2);
    recordUs(h, 1e15);
    expect(h.totalCount).toBe(3);
    expect(summarise(h).minUs).toBe(1);
  });
});
