import { decodeHistogram as decodeShared, encodeHistogram as encodeShared, newHistogram, recordUs, type LatencyHistogram } from '../model/histogram.ts';

/**
 * Latency histograms of the contention bench. The settings (µs, 1 µs to 1 h, 3
 * significant digits, compressed base64 that merges with add()) are the project's one
 * HDR module, harness/model/histogram.ts, so bench and replay histograms merge
 * alike. This file adds the bench's own summary: p95 and p99.9 as the issue asks.
 */
export type { LatencyHistogram };

export function createLatencyHistogram(): LatencyHistogram {
  return newHistogram();
}

/** Records a duration given in milliseconds (performance.now deltas). */
export function recordMs(h: LatencyHistogram, ms: number): void {
  recordUs(h, ms * 1000);
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
    minUs: h.getValueAtPercentile(0),
    meanUs: Math.round(h.mean),
    p50Us: h.getValueAtPercentile(50),
    p95Us: h.getValueAtPercentile(95),
    p99Us: h.getValueAtPercentile(99),
    p999Us: h.getValueAtPercentile(99.9),
    // Percentiles 0 and 100, not minNonZeroValue/maxValue: they survive an encode/decode round trip unchanged.
    maxUs: h.getValueAtPercentile(100),
  };
}

export const encodeHistogram = encodeShared;
export const decodeHistogram = decodeShared;
