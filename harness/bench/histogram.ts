import * as hdr from 'hdr-histogram-js';

/**
 * The one place the bench's HDR histograms are configured. Values are microseconds;
 * 1 µs to 60 s at 3 significant digits (0.1 % error) covers a loopback round trip
 * and a 4.2 retry storm that sleeps 100 ms per attempt. Pure JS (no WebAssembly) so
 * histograms are plain objects that encode to compressed base64 and merge with add().
 */
export const LATENCY_SETTINGS = Object.freeze({
  lowestDiscernibleValue: 1,
  highestTrackableValue: 60_000_000,
  numberOfSignificantValueDigits: 3 as const,
  bitBucketSize: 'packed' as const,
  useWebAssembly: false,
});

export type LatencyHistogram = hdr.Histogram;

export function createLatencyHistogram(): LatencyHistogram {
  return hdr.build(LATENCY_SETTINGS);
}

/** Records a duration given in milliseconds (performance.now deltas), clamped to the trackable range. */
export function recordMs(h: LatencyHistogram, ms: number): void {
  const us = Math.round(ms * 1000);
  h.recordValue(Math.min(Math.max(us, 1), LATENCY_SETTINGS.highestTrackableValue));
}

export interface LatencySummary {
  readonly count: number;
  readonly minUs: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p95Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
}

export function summarise(h: LatencyHistogram): LatencySummary {
  const count = h.totalCount;
  if (count === 0) return { count: 0, minUs: 0, meanUs: 0, p50Us: 0, p95Us: 0, p99Us: 0, p999Us: 0, maxUs: 0 };
  return {
    count,
    minUs: h.minNonZeroValue,
    meanUs: Math.round(h.mean),
    p50Us: h.getValueAtPercentile(50),
    p95Us: h.getValueAtPercentile(95),
    p99Us: h.getValueAtPercentile(99),
    p999Us: h.getValueAtPercentile(99.9),
    // The 100th percentile, not maxValue: it survives an encode/decode round trip unchanged.
    maxUs: h.getValueAtPercentile(100),
  };
}

/** Compressed base64 (the HdrHistogram interchange form), so steps merge losslessly later. */
export function encodeHistogram(h: LatencyHistogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(text: string): LatencyHistogram {
  return hdr.decodeFromCompressedBase64(text, LATENCY_SETTINGS.bitBucketSize, false);
}
