/**
 * The knee of a scaling curve: the worker count after which throughput stops rising.
 * A point is the knee when no later point beats it by more than `tolerance` (5 % by
 * default: loopback runs on a shared machine wobble by a few percent). When the
 * best point is the last one the curve is still rising and there is no knee yet.
 */
export interface CurvePoint {
  readonly workers: number;
  readonly opsPerSec: number;
}

export interface Knee {
  readonly workers: number;
  readonly opsPerSec: number;
  /** True when throughput was still rising at the largest worker count measured. */
  readonly stillRising: boolean;
}

export const KNEE_TOLERANCE = 0.05;

export function findKnee(points: readonly CurvePoint[], tolerance = KNEE_TOLERANCE): Knee | undefined {
  const sorted = points.filter((p) => Number.isFinite(p.opsPerSec)).slice().sort((a, b) => a.workers - b.workers);
  if (sorted.length === 0) return undefined;
  // Best throughput seen at any later point, computed right to left.
  const laterBest: number[] = new Array<number>(sorted.length).fill(-Infinity);
  for (let i = sorted.length - 2; i >= 0; i--) laterBest[i] = Math.max(laterBest[i + 1]!, sorted[i + 1]!.opsPerSec);
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i]!;
    if (laterBest[i]! <= p.opsPerSec * (1 + tolerance)) {
      return { workers: p.workers, opsPerSec: p.opsPerSec, stillRising: i === sorted.length - 1 && sorted.length > 1 };
    }
  }
  /* c8 ignore next: the last point always satisfies the test above */
  return undefined;
}
