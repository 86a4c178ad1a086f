import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { CompatError } from '../../../harness/errors.ts';
import { PROVIDERS } from '../../../harness/targets/index.ts';
import type { TargetSpec } from '../../../harness/targets/types.ts';

// memory-server and container need a download or a Docker engine. Where they cannot
// run, they must say why in one line within 15 s; where they can, they must work.
const cases: [string, TargetSpec][] = [
  ['memory-server', { name: 'mms', kind: 'memory-server', version: '4.4.29', replicaSet: false }],
  ['container', { name: 'ctr', kind: 'container', version: '7.0', replicaSet: false }],
];

describe.each(cases)('the %s target', (kind, spec) => {
  const provider = PROVIDERS[spec.kind];

  it('answers its probe within 15 s with a one-line reason', async () => {
    const started = Date.now();
    const availability = await provider.probe();
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(availability.kind).toBe(kind);
    expect(availability.detail).not.toContain('\n');
    expect(availability.detail.length).toBeGreaterThan(10);
  });

  it('fails fast with that reason when it cannot run here', async (ctx) => {
    const availability = await provider.probe();
    if (availability.usable) ctx.skip(`${kind} is usable on this machine`);
    const started = Date.now();
    const err = await provider.start(spec).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(err).toBeInstanceOf(CompatError);
    expect((err as CompatError).code).toBe('MC_TARGET_UNAVAILABLE');
    expect((err as Error).message).toContain(availability.detail);
  });

  it('starts a real server that answers ping', { timeout: 300_000 }, async (ctx) => {
    const availability = await provider.probe();
    if (!availability.usable) ctx.skip(`${kind} cannot run here: ${availability.detail}`);
    const running = await provider.start(spec);
    try {
      const client = new MongoClient(running.uri);
      expect((await client.db('admin').command({ ping: 1 })).ok).toBe(1);
      await client.close();
      expect(running.serverVersion.startsWith(spec.version!.replace(/^mongo:/, ''))).toBe(true);
    } finally {
      await running.stop();
    }
  });
});
