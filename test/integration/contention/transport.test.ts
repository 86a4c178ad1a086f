import { describe, expect, inject, it } from 'vitest';
import { startContention, type ContentionOptions, type ContentionTarget } from '../../../harness/contention/contention.ts';
import { openTransport } from '../../../harness/contention/transport.ts';
import { testUri } from '../../helpers/fresh-db.ts';

function target(name: string): ContentionTarget {
  return { name, uri: testUri(), displayUri: testUri(), product: inject('mongoProduct'), serverVersion: 'n/a' };
}

const base: Omit<ContentionOptions, 'workload' | 'workers' | 'targets' | 'transport'> = {
  clients: 2,
  durationMs: 500,
  warmupMs: 100,
  indexes: true,
  seed: 3,
  jobs: 60,
  keys: 4,
  sampleMs: 200,
};

describe('contention workers over the wire transport and the driver', () => {
  it.each(['wire', 'driver'] as const)('%s: queue, hot-counter and lock run with one worker, invariants hold, the harness cost is recorded', async (transport) => {
    for (const workload of ['queue', 'hot-counter', 'lock'] as const) {
      const r = await startContention({ ...base, transport, targets: [target('a')], workload, workers: [1] }).done;
      const s = r.steps[0]!;
      expect(r.settings.transport).toBe(transport);
      expect(s.ops).toBeGreaterThan(0);
      expect(s.invariants.violations).toBe(0);
      expect(s.harness?.transport).toBe(transport);
      expect(s.harness!.cpuUs).toBeGreaterThan(0);
      expect(s.harness!.cpuUsPerOp).toBeCloseTo(s.harness!.cpuUs / s.ops, 0);
      expect(typeof s.harness!.bound).toBe('boolean');
    }
  }, 60_000);

  it('the wire path reports a server refusal with its code name, as the driver does', async () => {
    const t = await openTransport({ uri: testUri(), transport: 'wire', pools: 1, poolSize: 1 });
    try {
      const session = t.session(0, 'mc_transport_dup');
      await session.insertMany('c', [{ _id: 1 }]);
      const err = await session.insertMany('c', [{ _id: 1 }]).catch((e: unknown) => e);
      expect((err as { codeName?: string; code?: number }).code).toBe(11000);
      expect(await session.updateOne('c', { _id: 1 }, { $set: { x: 1 } })).toBe(1);
      expect(await session.updateOne('c', { _id: 2 }, { $set: { x: 1 } })).toBe(0);
      // Replies keep BSON number classes (Int32), as the replay transport decodes them.
      const after = await session.findAndModify('c', { query: { _id: 1 }, update: { $inc: { x: 1 } } });
      expect(Number(after?._id)).toBe(1);
      expect(Number(after?.x)).toBe(2);
      const found = await session.findOne('c', { _id: 1 });
      expect(Number(found?.x)).toBe(2);
      expect(await session.findOne('c', { _id: 99 })).toBeNull();
    } finally {
      await t.close();
    }
  });

  it('falls back to the driver for a target the wire path cannot serve, and says why', async () => {
    const uri = testUri().replace('mongodb://', 'mongodb://nobody:secret@');
    const t = await openTransport({ uri, transport: 'wire', pools: 1, poolSize: 1 }).catch((e: unknown) => e as Error);
    // The server may refuse the credentials; either way the wire path was not used.
    if (t instanceof Error) expect(t.message).not.toMatch(/ReplayNetwork/);
    else {
      expect(t.name).toBe('driver');
      expect(t.note).toMatch(/credentials need the driver/);
      await t.close();
    }
  });
});
