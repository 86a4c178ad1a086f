import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import { resolveContentionSettings } from '../../../harness/contention/settings.ts';

const defaults = ConfigSchema.parse({});

describe('resolveContentionSettings', () => {
  it('takes the schema defaults when no flag is given', () => {
    expect(resolveContentionSettings({}, defaults)).toEqual({
      workload: 'queue', workers: [1, 2, 4, 8, 16, 32, 64, 128], clients: 1, durationMs: 30_000, warmupMs: 5000,
      indexes: true, seed: 1, jobs: 10_000, keys: 4, broken: false,
    });
  });

  it('lets flags win over the config file', () => {
    const config = ConfigSchema.parse({ bench: { contention: { workload: 'lock', workers: [2, 8], duration: '10s', indexes: false } } });
    const s = resolveContentionSettings({ workers: '1,4', indexes: 'on', clients: '3' }, config);
    expect(s).toMatchObject({ workload: 'lock', workers: [1, 4], durationMs: 10_000, indexes: true, clients: 3 });
  });

  it('refuses an unknown workload, a bad --indexes and a bad duration in the config, naming them', () => {
    expect(() => resolveContentionSettings({ workload: 'stampede' }, defaults)).toThrow('--workload: "stampede" is not one of queue, hot-counter, lock');
    expect(() => resolveContentionSettings({ indexes: 'yes' }, defaults)).toThrow(/--indexes/);
    expect(() => resolveContentionSettings({ workers: '1,0' }, defaults)).toThrow('--workers: 0 is outside 1..4096');
    const config = ConfigSchema.parse({ bench: { contention: { warmup: 'later' } } });
    expect(() => resolveContentionSettings({}, config)).toThrow(/bench\.contention\.warmup/);
  });
});
