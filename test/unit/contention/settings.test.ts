import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import { contentionSettings } from '../../../harness/contention/settings.ts';

describe('contentionSettings', () => {
  it('takes the schema defaults of bench.contention', () => {
    expect(contentionSettings(ConfigSchema.parse({}).bench.contention)).toEqual({
      workload: 'queue', workers: [1, 2, 4, 8, 16, 32, 64, 128], clients: 1, durationMs: 30_000, warmupMs: 5000,
      indexes: true, seed: 1, jobs: 10_000, keys: 4, transport: 'wire', broken: false,
    });
  });

  it('converts durations to milliseconds and sweeps each worker count once, in ascending order', () => {
    const section = ConfigSchema.parse({ bench: { contention: { workload: 'lock', workers: [8, 2, 8], duration: '1.5s', warmup: '250ms', indexes: false } } }).bench.contention;
    expect(contentionSettings(section)).toMatchObject({ workload: 'lock', workers: [2, 8], durationMs: 1500, warmupMs: 250, indexes: false });
  });
});
