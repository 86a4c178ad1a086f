import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../harness/errors.ts';
import { parseDuration, parsePositiveInt, parseSeed, parseWorkerList } from '../../../harness/contention/parse.ts';

describe('parseDuration', () => {
  it('reads ms, s, m, h and bare seconds', () => {
    expect(parseDuration('500ms', '--d')).toBe(500);
    expect(parseDuration('30s', '--d')).toBe(30_000);
    expect(parseDuration('1.5s', '--d')).toBe(1500);
    expect(parseDuration('2m', '--d')).toBe(120_000);
    expect(parseDuration('1h', '--d')).toBe(3_600_000);
    expect(parseDuration('7', '--d')).toBe(7000);
  });

  it('names the flag when the text is not a duration', () => {
    expect(() => parseDuration('soon', '--warmup')).toThrow(/--warmup: "soon" is not a duration/);
    expect(() => parseDuration('-1s', '--warmup')).toThrow(UsageError);
  });

  propTest.prop([fc.integer({ min: 0, max: 86_400_000 })])('round-trips any whole number of milliseconds', (ms) => {
    expect(parseDuration(`${ms}ms`, '--d')).toBe(ms);
  });

  propTest.prop([fc.string()])('throws nothing but a UsageError on garbage', (text) => {
    try {
      const ms = parseDuration(text, '--d');
      expect(Number.isInteger(ms) && ms >= 0).toBe(true);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
    }
  });
});

describe('parseWorkerList', () => {
  it('returns the counts sorted and unique', () => {
    expect(parseWorkerList('8,1,4,4,2')).toEqual([1, 2, 4, 8]);
  });

  it('refuses zero, negatives and words, naming the flag', () => {
    expect(() => parseWorkerList('1,0')).toThrow(/--workers: 0 is outside/);
    expect(() => parseWorkerList('1,x')).toThrow(/--workers: "x"/);
    expect(() => parseWorkerList('')).toThrow(UsageError);
  });

  propTest.prop([fc.uniqueArray(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 12 })])('round-trips any list of counts', (counts) => {
    expect(parseWorkerList(counts.join(','))).toEqual([...counts].sort((a, b) => a - b));
  });

  propTest.prop([fc.string()])('throws nothing but a UsageError on garbage', (text) => {
    try {
      const list = parseWorkerList(text);
      expect(list.every((n) => n >= 1 && n <= 4096)).toBe(true);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
    }
  });
});

describe('parsePositiveInt / parseSeed', () => {
  it('accept in-range integers and refuse the rest', () => {
    expect(parsePositiveInt('16', '--clients')).toBe(16);
    expect(() => parsePositiveInt('0', '--clients')).toThrow(/--clients/);
    expect(parseSeed('0')).toBe(0);
    expect(() => parseSeed('4294967296')).toThrow(/--seed/);
  });

  propTest.prop([fc.string()])('throw nothing but a UsageError on garbage', (text) => {
    for (const f of [() => parsePositiveInt(text, '--n'), () => parseSeed(text)]) {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
      }
    }
  });
});
