import { pick, seededRng, workerSeed, type Rng } from '../../harness/contention/rng.ts';

/**
 * Seeded generation helpers over the contention bench's PRNG (mulberry32). Every
 * value a scenario generates comes from a `Gen` made from (seed, stream): one stream
 * per collection or lane, so adding a collection never shifts another's values.
 */
export class Gen {
  private readonly rng: Rng;

  constructor(seed: number, stream: number) {
    this.rng = seededRng(workerSeed(seed, stream));
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return pick(this.rng, n);
  }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + pick(this.rng, hi - lo + 1);
  }

  of<T>(items: readonly T[]): T {
    return items[pick(this.rng, items.length)]!;
  }

  /** A money-like number with two decimals in [0, max). */
  amount(max: number): number {
    return Math.round(this.rng() * max * 100) / 100;
  }

  chance(p: number): boolean {
    return this.rng() < p;
  }

  /** Picks by weight: `[['find', 5], ['update', 1]]`. */
  weighted<T>(table: readonly (readonly [T, number])[]): T {
    const total = table.reduce((s, [, w]) => s + w, 0);
    let r = this.rng() * total;
    for (const [v, w] of table) {
      if ((r -= w) < 0) return v;
    }
    return table[table.length - 1]![0];
  }
}

/** 2026-01-01T00:00:00Z: every date of every scenario is an offset from it, never the clock. */
export const EPOCH_MS = Date.UTC(2026, 0, 1);

export function day(n: number): Date {
  return new Date(EPOCH_MS + n * 86_400_000);
}

export function minute(n: number): Date {
  return new Date(EPOCH_MS + n * 60_000);
}

/** A collection size under a scale factor: never below one. */
export function scaled(base: number, scale: number): number {
  return Math.max(1, Math.round(base * scale));
}

/** `count` operations from a generator of one (or a few, kept in order) per step. */
export function take<T>(count: number, next: (i: number) => readonly T[]): T[] {
  const out: T[] = [];
  for (let i = 0; out.length < count; i++) out.push(...next(i));
  return out.slice(0, count);
}
