import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CompatError } from '../../../harness/errors.ts';
import { fnv1a, inShard, parseShard } from '../../../harness/replay/shard.ts';

describe('shards', () => {
  it('parses I/N and refuses what is not one', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/2', '3/2', '1', 'a/b', '1/0', '']) expect(() => parseShard(bad)).toThrow(CompatError);
  });

  it('hashes stably (FNV-1a test vectors)', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  test.prop([fc.string()])('only a CompatError escapes parseShard on garbage', (text) => {
    try {
      parseShard(text);
    } catch (err) {
      expect(err).toBeInstanceOf(CompatError);
    }
  });

  test.prop([fc.array(fc.string(), { maxLength: 50 }), fc.integer({ min: 1, max: 9 })])('puts every connection in exactly one shard', (conns, n) => {
    for (const c of conns) {
      const owners = Array.from({ length: n }, (_, i) => inShard(c, { index: i + 1, count: n })).filter(Boolean);
      expect(owners).toHaveLength(1);
    }
  });
});
