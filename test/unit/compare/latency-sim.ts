import { seededRng } from '../../../harness/contention/rng.ts';

/**
 * Seeded latency samples for the latency tests: no Math.random, so every figure a test
 * states is reproducible. Each operation has a cost common to all servers (log-normal
 * across operations, σ 0.5, plus spikes every server sees: a large reply, a cold page,
 * the harness's own pause) and per server its own log-normal jitter and its own spikes
 * (a GC pause, a checkpoint, a context switch on a loaded machine).
 */

/** mulberry32, the contention bench's seeded generator: uniform on [0, 1). */
export const rng = seededRng;

/** Standard normal (Box-Muller). */
export function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

export interface Noise {
  /** σ of each server's own log-normal jitter. */
  readonly sigma: number;
  /** Probability of a spike every server sees (×2-10). */
  readonly commonSpikes: number;
  /** Probability of a spike one server sees alone (×2-20). */
  readonly ownSpikes: number;
}

/** σ 0.4 per server and 5% spikes of each kind: more spread than replays on a quiet machine show. */
export const HEAVY: Noise = { sigma: 0.4, commonSpikes: 0.05, ownSpikes: 0.05 };
export const MODERATE: Noise = { sigma: 0.2, commonSpikes: 0.05, ownSpikes: 0.05 };

/**
 * `n` operations timed on a baseline, a second baseline and a candidate, in whole µs;
 * the candidate's time multiplied by `slowdown`, the second baseline's by `secondBias`.
 */
export function simulate(seed: number, n: number, noise: Noise, slowdown = 1, secondBias = 1): { baseline: number[]; second: number[]; candidate: number[] } {
  const r = rng(seed);
  const own = (common: number): number => {
    let x = common * Math.exp(noise.sigma * gauss(r));
    if (r() < noise.ownSpikes) x *= 2 + 18 * r();
    return x;
  };
  const baseline: number[] = [];
  const second: number[] = [];
  const candidate: number[] = [];
  for (let i = 0; i < n; i++) {
    let common = 1000 * Math.exp(0.5 * gauss(r));
    if (r() < noise.commonSpikes) common *= 2 + 8 * r();
    baseline.push(Math.round(own(common)));
    second.push(Math.round(own(common) * secondBias));
    candidate.push(Math.round(own(common) * slowdown));
  }
  return { baseline, second, candidate };
}
