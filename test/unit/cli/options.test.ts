import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BENCH_CONTENTION_FLAGS } from '../../../harness/cli/bench.ts';
import { checkFlag, flagTable, read, type FlagTable } from '../../../harness/cli/options.ts';
import { PROXY_FLAGS } from '../../../harness/cli/proxy.ts';
import { REPLAY_FLAGS } from '../../../harness/cli/replay.ts';
import { REPORT_FLAGS } from '../../../harness/cli/report.ts';
import { ConfigSchema, ReportConfigSchema } from '../../../harness/config/schema.ts';
import { UsageError } from '../../../harness/errors.ts';

const defaults = ConfigSchema.parse({});

/** What commander hands an action for these arguments. */
function given(table: FlagTable<unknown>, argv: string[]): Record<string, unknown> {
  return table.addTo(new Command('x').exitOverride()).parse(argv, { from: 'user' }).opts();
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

/** The help line of one flag. */
function helpLine(table: FlagTable<unknown>, flag: string): string {
  return (
    table
      .addTo(new Command('x'))
      .helpInformation({ error: false })
      .replace(/\n\s{10,}/g, ' ')
      .split('\n')
      .find((l) => l.trimStart().startsWith(flag)) ?? ''
  );
}

describe('flag tables', () => {
  it('lets a flag win over the config file and keeps the keys no flag names', () => {
    const section = ConfigSchema.parse({ replay: { timing: 'recorded', concurrency: 4, baseline: ['a'] } }).replay;
    const merged = REPLAY_FLAGS.over(section, given(REPLAY_FLAGS, ['--timing', 'fast', '--speed', '2.5', '--warmup-pass']));
    expect(merged).toMatchObject({ timing: 'fast', speed: 2.5, warmupPass: true, concurrency: 4, baseline: ['a'] });
    expect(section.timing).toBe('recorded');
  });

  it('returns the config section itself when no flag is given', () => {
    expect(REPLAY_FLAGS.over(defaults.replay, given(REPLAY_FLAGS, []))).toBe(defaults.replay);
  });

  it('replaces a list by the flag occurrences, but adds --map-db pairs to the file', () => {
    const section = ConfigSchema.parse({ replay: { baseline: ['a'], mapDb: { shop: 'shop_a', crm: 'crm_a' } } }).replay;
    const merged = REPLAY_FLAGS.over(section, given(REPLAY_FLAGS, ['--baseline', 'b', '--baseline', 'c', '--map-db', 'shop=shop_b']));
    expect(merged.baseline).toEqual(['b', 'c']);
    expect(merged.mapDb).toEqual({ shop: 'shop_b', crm: 'crm_a' });
  });

  it('sets a nested key (report.datadog.enabled) and keeps its siblings from the file', () => {
    const section = ConfigSchema.parse({ report: { datadog: { site: 'datadoghq.eu', tags: ['team:a'] } } }).report;
    const merged = REPORT_FLAGS.over(section, given(REPORT_FLAGS, ['--datadog', '-f', 'md,json']));
    expect(merged).toEqual({ formats: ['md', 'json'], datadog: { enabled: true, site: 'datadoghq.eu', tags: ['team:a'] } });
  });

  it('reads on/off and number lists, leaving the ranges to the schema', () => {
    const merged = BENCH_CONTENTION_FLAGS.over(defaults.bench.contention, given(BENCH_CONTENTION_FLAGS, ['--indexes', 'off', '--workers', '1,4', '--duration', '2m']));
    expect(merged).toMatchObject({ indexes: false, workers: [1, 4], duration: '2m' });
  });

  it('shows defaults and choices read from the schema in help', () => {
    expect(helpLine(PROXY_FLAGS, '--max-queue-mb')).toMatch(/\(default: 64\)$/);
    expect(helpLine(PROXY_FLAGS, '--status-interval')).toMatch(/\(default: 10\)$/);
    expect(helpLine(REPLAY_FLAGS, '--timing')).toMatch(/\(choices: fast, recorded; default: fast\)$/);
    expect(helpLine(BENCH_CONTENTION_FLAGS, '--indexes')).toMatch(/\(default: on\)$/);
    expect(helpLine(BENCH_CONTENTION_FLAGS, '--workers')).toMatch(/\(default: 1,2,4,8,16,32,64,128\)$/);
    // A switch that is off by default and a key without a default show nothing.
    expect(helpLine(REPLAY_FLAGS, '--allow-writes')).not.toContain('default');
    expect(helpLine(PROXY_FLAGS, '--rotate-mb')).not.toContain('default');
  });

  it('takes the default from the schema, not from the table', () => {
    const table = (n: number) => flagTable(z.object({ n: z.number().default(n) }).strict(), 'toy', { n: { flags: '--n <n>', read: read.number, help: 'a number' } });
    expect(helpLine(table(7), '--n')).toMatch(/a number \(default: 7\)$/);
    expect(helpLine(table(9), '--n')).toMatch(/a number \(default: 9\)$/);
  });

  it('names the flag and the text given in one line when a value is bad', () => {
    const bad = <T>(table: FlagTable<T>, section: T, argv: string[]): string => {
      const message = errorOf(() => table.over(section, given(table, argv)));
      expect(message).not.toContain('\n');
      return message;
    };
    expect(bad(REPLAY_FLAGS, defaults.replay, ['--timing', 'slow'])).toBe('--timing slow: expected fast or recorded');
    expect(bad(REPLAY_FLAGS, defaults.replay, ['--transport', 'carrier-pigeon'])).toBe('--transport carrier-pigeon: expected auto, wire or driver');
    expect(bad(REPLAY_FLAGS, defaults.replay, ['--speed', 'abc'])).toBe('--speed abc: expected a number');
    expect(bad(REPLAY_FLAGS, defaults.replay, ['--speed', '0'])).toBe('--speed 0: must be positive');
    expect(bad(REPLAY_FLAGS, defaults.replay, ['--concurrency', '1.5'])).toBe('--concurrency 1.5: expected an integer');
    expect(bad(REPLAY_FLAGS, defaults.replay, ['--map-db', 'a=b', '--map-db', 'shop'])).toBe('--map-db shop: expected FROM=TO');
    expect(bad(REPLAY_FLAGS, defaults.replay, ['--baseline', 'a', '--baseline', ''])).toBe('--baseline "": must not be empty');
    expect(bad(BENCH_CONTENTION_FLAGS, defaults.bench.contention, ['--workers', '1,0'])).toBe('--workers 1,0: 0: must be at least 1');
    expect(bad(BENCH_CONTENTION_FLAGS, defaults.bench.contention, ['--workers', '1,x'])).toBe('--workers 1,x: x is not a number');
    expect(bad(BENCH_CONTENTION_FLAGS, defaults.bench.contention, ['--indexes', 'yes'])).toBe('--indexes yes: expected on or off');
    expect(bad(BENCH_CONTENTION_FLAGS, defaults.bench.contention, ['--workload', 'stampede'])).toBe('--workload stampede: expected queue, hot-counter or lock');
    expect(bad(BENCH_CONTENTION_FLAGS, defaults.bench.contention, ['--warmup', 'later'])).toBe('--warmup later: expected a duration of at most a day, e.g. 30s, 500ms or 2m');
    expect(bad(BENCH_CONTENTION_FLAGS, defaults.bench.contention, ['--seed', '4294967296'])).toBe('--seed 4294967296: must be at most 4294967295');
    expect(bad(PROXY_FLAGS, defaults.proxy, ['--listen', 'nope'])).toBe('--listen nope: expected HOST:PORT');
    expect(bad(PROXY_FLAGS, defaults.proxy, ['--reply', 'some'])).toBe('--reply some: expected full, digest or none');
  });

  it('checks a flag that is not a config key against a schema field', () => {
    expect(checkFlag('--report', 'md,html', read.list, ReportConfigSchema.shape.formats)).toEqual(['md', 'html']);
    expect(errorOf(() => checkFlag('--report', 'md,pdf', read.list, ReportConfigSchema.shape.formats))).toBe('--report md,pdf: pdf: expected json, md, html or junit');
  });

  it('needs an entry, flag or null, for every key of the section (checked by tsc)', () => {
    const schema = z.object({ a: z.string().default('x'), b: z.number().default(1), c: z.object({ d: z.boolean().default(false) }).prefault({}) }).strict();
    // @ts-expect-error b and c have no entry
    expect(() => flagTable(schema, 'toy', { a: null })).not.toThrow();
    // @ts-expect-error a number key cannot take the text reader
    flagTable(schema, 'toy', { a: null, b: { flags: '--b <n>', read: read.text, help: '' }, c: null });
    // @ts-expect-error z is not a key of the section
    flagTable(schema, 'toy', { a: null, b: null, c: null, z: null });
    const ok = flagTable(schema, 'toy', { a: null, b: null, c: { d: { flags: '--d', read: read.present, help: 'd' } } });
    expect(ok.over(schema.parse({}), { d: true })).toEqual({ a: 'x', b: 1, c: { d: true } });
  });

  it('refuses a switch reader on a flag that takes a value, when the table is built', () => {
    const schema = z.object({ on: z.boolean().default(false) }).strict();
    expect(() => flagTable(schema, 'toy', { on: { flags: '--on <x>', read: read.present, help: '' } })).toThrow(/--on <x> and a switch reader/);
  });
});
