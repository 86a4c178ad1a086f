import * as hdr from 'hdr-histogram-js';

/**
 * The one place hdr-histogram-js is configured. Latencies are recorded in
 * microseconds, 1 µs to 1 h at 3 significant digits (≈ 0.1 % error), which is the
 * precision autocannon uses and enough to tell a 1 ms regression at p99.
 * Histograms travel as HdrHistogram's compressed base64 form and merge with `add()`,
 * which is lossless for histograms of equal configuration: shards merge exactly.
 *
 * The pure-JS implementation is used (no WebAssembly): it needs no `destroy()` and
 * costs ~100 ns per recorded value, far below one database round trip.
 */
export const LOWEST_US = 1;
export const HIGHEST_US = 3_600_000_000;
export const SIGNIFICANT_DIGITS = 3;

export type LatencyHistogram = hdr.Histogram;

export function newHistogram(): LatencyHistogram {
  return hdr.build({
    lowestDiscernibleValue: LOWEST_US,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    bitBucketSize: 'packed',
    autoResize: true,
    useWebAssembly: false,
  });
}

/** Records one latency, clamped into the trackable range so no value throws. */
export function recordUs(h: LatencyHistogram, us: number): void {
  const v = Math.min(HIGHEST_US, Math.max(LOWEST_US, Math.round(us)));
  h.recordValue(v);
}

export function encodeHistogram(h: LatencyHistogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(text: string): LatencyHistogram {
  const decoded = hdr.decodeFromCompressedBase64(text, 'packed', false);
  // Re-home into our configuration so later add() calls never mix layouts.
  const h = newHistogram();
  h.add(decoded);
  return h;
}

/** Adds `from` into `into` (lossless: counts per bucket are summed). */
export function mergeInto(into: LatencyHistogram, from: LatencyHistogram): void {
  into.add(from);
}

export interface LatencySummary {
  readonly count: number;
  readonly minUs: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  readonly meanUs: number;
}

/** Bucket-based figures only, so a summary is the same before and after encoding or merging. */
export function summarise(h: LatencyHistogram): LatencySummary {
  return {
    count: h.totalCount,
    minUs: h.totalCount ? h.getValueAtPercentile(0) : 0,
    p50Us: h.getValueAtPercentile(50),
    p90Us: h.getValueAtPercentile(90),
    p99Us: h.getValueAtPercentile(99),
    maxUs: h.getValueAtPercentile(100),
    meanUs: Math.round(h.mean),
  };
}
