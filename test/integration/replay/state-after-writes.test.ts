import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import { readRunState } from '../../../harness/model/run/reader.ts';
import { replay } from '../../../harness/replay/run.ts';
import { renderReport } from '../../../harness/report/run-report.ts';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { startRewritingRelay, type RewritingRelay } from '../../helpers/rewriting-relay.ts';
import { recordWorkload, type Step } from './record-workload.ts';

const DB = 'shop';
const { Int32 } = BSON;

async function seed(uri: string): Promise<void> {
  const client = new MongoClient(uri);
  try {
    const db = client.db(DB);
    await db.dropDatabase();
    await db.collection<BSON.Document>('jobs').insertMany(<BSON.Document[]>[
      { _id: new Int32(1), state: 'pending' },
      { _id: new Int32(2), state: 'pending' },
      { _id: new Int32(3), state: 'done' },
    ]);
    await db.collection<BSON.Document>('users').insertMany(<BSON.Document[]>[{ _id: new Int32(1), name: 'ann' }]);
  } finally {
    await client.close();
  }
}

/** Two updates that reply {n: 1, nModified: 1} whatever they store, and a read. */
const STEPS: Step[] = [
  { conn: 'c1', db: DB, command: { update: 'jobs', updates: [{ q: { _id: new Int32(3) }, u: { $set: { note: 'settled' } } }] } },
  { conn: 'c1', db: DB, command: { update: 'jobs', updates: [{ q: { _id: new Int32(1) }, u: { $set: { state: 'running' } } }] } },
  { conn: 'c2', db: DB, command: { find: 'users', filter: {} } },
];

describe('state after writes, end to end on FerretDB', () => {
  let a: FerretDbInstance;
  let b: FerretDbInstance;
  let relay: RewritingRelay;
  let work: string;
  let capture: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startFerretDb({ name: 'a', replicaSet: false }), startFerretDb({ name: 'b', replicaSet: false })]);
    work = await mkdtemp(join(tmpdir(), 'mc-state-'));
    capture = join(work, 'capture.mcap.gz');
    await seed(a.uri);
    await recordWorkload(a.uri, capture, STEPS, { sourceHost: 'prod-db-1.example:27017' });
    // The candidate stores "setxled" where the baseline stores "settled"; both reply alike.
    relay = await startRewritingRelay('127.0.0.1', b.port, 'settled', 'setxled');
  });

  afterAll(async () => {
    await relay?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('finds no difference when the candidate stores what the baseline stores', async () => {
    await Promise.all([seed(a.uri), seed(b.uri)]);
    const dir = join(work, 'run-same');
    const { run } = await replay({ captures: [capture], baselines: [`A=${a.uri}`], candidates: [`B=${b.uri}`], out: dir, allowWrites: true, concurrency: 2 });
    expect(run.state).toEqual({ namespaces: 1, differences: 0 });
    const state = await readRunState(dir);
    expect(state?.targets.A?.map((c) => c.ns)).toEqual([`${DB}.jobs`]);
    expect(state?.targets.A?.[0]?.hash).toBe(state?.targets.B?.[0]?.hash);
  });

  it('reports the collection a write changed differently, with its _id, in the report', async () => {
    await Promise.all([seed(a.uri), seed(b.uri)]);
    const dir = join(work, 'run-diff');
    const { run } = await replay({ captures: [capture], baselines: [`A=${a.uri}`], candidates: [`B=${relay.uri}`], out: dir, allowWrites: true, concurrency: 2 });
    expect(relay.rewrites).toBeGreaterThan(0);
    // The replies agree: only the stored state tells.
    expect(run.counts.differences).toBe(0);
    expect(run.state).toEqual({ namespaces: 1, differences: 1 });
    const { doc, files } = await renderReport(dir, ConfigSchema.parse({}), { formats: 'md,json', out: join(dir, 'report') });
    expect(doc.state).toHaveLength(1);
    expect(doc.state[0]).toMatchObject({ candidate: 'B', ns: `${DB}.jobs`, method: 'documents', changed: ['{"$numberInt":"3"}'], missing: [], extra: [] });
    expect(doc.state[0]?.samples?.[0]?.candidate).toContain('setxled');
    expect(doc.summary.find((s) => s.candidate === 'B')?.verdict).toBe('fail');
    const md = await readFile(files.md!, 'utf8');
    expect(md).toContain('State after writes');
    expect(md).toContain(`${DB}.jobs`);
    expect(md).toContain('{"$numberInt":"3"}');
  });
});
