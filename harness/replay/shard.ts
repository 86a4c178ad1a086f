import { UsageError } from '../errors.ts';

/**
 * Shard `I/N`: a connection belongs to shard `fnv1a(conn) mod N`. FNV-1a is stable
 * across machines and Node versions (no seed), so N CI jobs each replay a disjoint
 * set of connections and together cover the capture exactly once.
 */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

/** Why `text` is not a shard `I/N`, or undefined when it is one; callers name their own input. */
export function shardProblem(text: string): string | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return 'expected I/N, e.g. 1/4';
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count < 1 || index < 1 || index > count ? 'I must be between 1 and N' : undefined;
}

export function parseShard(text: string): ShardSpec {
  const problem = shardProblem(text);
  if (problem) throw new UsageError(`shard '${text}': ${problem}`);
  const [index, count] = text.trim().split('/').map(Number) as [number, number];
  return { index, count };
}

export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Shards are numbered from 1, as users count CI jobs. */
export function inShard(conn: string, shard: ShardSpec | undefined): boolean {
  return !shard || (fnv1a(conn) % shard.count) + 1 === shard.index;
}
