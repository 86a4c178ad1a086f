import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../../../harness/capture/proxy/index.ts';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { MemorySink } from '../../helpers/memory-sink.ts';
import { startTap, type Tap } from '../../helpers/tcp-tap.ts';
import { waitFor } from '../../helpers/wait-for.ts';

describe('a replica-set member the proxy has no listener for', () => {
  let server: FerretDbInstance;
  let tap: Tap;
  beforeAll(async () => {
    server = await startFerretDb({ name: 'members', replicaSet: true });
    // The set reached under another address (a forwarder): its hello announces the member's own address.
    tap = await startTap('127.0.0.1', server.port);
  });
  afterAll(async () => {
    await tap?.stop();
    await server?.stop();
  });

  it('is warned about once on stderr and counted in the status line', async () => {
    const logs: string[] = [];
    const proxy = await startProxy({ upstream: `mongodb://${tap.address}/?replicaSet=rs0`, sink: new MemorySink(), log: (l) => void logs.push(l) });
    const member = `127.0.0.1:${server.port}`;
    try {
      // Several connections, several hellos: one warning.
      for (let i = 0; i < 3; i++) {
        const app = new MongoClient(`mongodb://${proxy.address}/?directConnection=true&appName=member-${i}`);
        await app.db('admin').command({ ping: 1 });
        await app.close();
      }
      await waitFor(() => proxy.stats.unmappedMembers === 1, { what: 'the member counted' });
      const warnings = logs.filter((l) => l.includes(`names member ${member}, which this proxy has no listener for`));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/its traffic is NOT recorded/);
      expect(proxy.statusLine()).toMatch(/, 1 member\(s\) without a listener \(not recorded\)$/);
    } finally {
      await proxy.stop();
    }
  });

  it('is not warned about when the proxy listens for every member', async () => {
    const logs: string[] = [];
    const proxy = await startProxy({ upstream: `mongodb://127.0.0.1:${server.port}/?replicaSet=rs0`, sink: new MemorySink(), log: (l) => void logs.push(l) });
    try {
      const app = new MongoClient(`mongodb://${proxy.address}/?replicaSet=rs0`);
      await app.db('admin').command({ ping: 1 });
      await app.close();
      expect(proxy.stats.unmappedMembers).toBe(0);
      expect(logs.filter((l) => l.includes('no listener for'))).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });
});
