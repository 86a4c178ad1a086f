import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareOutcomes } from '../../../harness/compare/compare.ts';
import { compareRunDir } from '../../../harness/report/compare-run.ts';
import { shapeOf } from '../../../harness/model/shape.ts';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import type { OperationOutcome } from '../../../harness/model/run/outcome.ts';
import { readRunOutcomes } from '../../../harness/model/run/reader.ts';
import { replay } from '../../../harness/replay/run.ts';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { recordWorkload, type Step } from '../replay/record-workload.ts';

const DB = 'shop';
const { Int32 } = BSON;
const LOOKUPS = 30;

/** 400 items; the baseline has an index on sku, the candidate lacks it and has item 7 repriced. */
async function seed(uri: string, candidate: boolean): Promise<void> {
  const client = new MongoClient(uri);
  try {
    const db = client.db(DB);
    await db.dropDatabase();
    const docs: BSON.Document[] = Array.from({ length: 400 }, (_, i) => ({ _id: new Int32(i), sku: `sku-${i}`, cat: new Int32(i % 10), price: new BSON.Double(10 + i / 4) }));
    if (candidate) docs[7]!.price = new BSON.Double(99.5);
    await db.collection<BSON.Document>('items').insertMany(docs);
    if (!candidate) await db.collection('items').createIndex({ sku: 1 });
  } finally {
    await client.close();
  }
}

const lookup = (i: number) => ({ find: 'items', filter: { sku: `sku-${i}` } });
const count = (i: number) => ({ count: 'items', query: { cat: new Int32(i % 10) } });

describe('compare end to end: replay against a baseline and a candidate FerretDB', () => {
  let a: FerretDbInstance;
  let b: FerretDbInstance;
  let work: string;
  let outcomes: OperationOutcome[];
  let dir: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startFerretDb({ name: 'cmp-a', replicaSet: false }), startFerretDb({ name: 'cmp-b', replicaSet: false })]);
    work = await mkdtemp(join(tmpdir(), 'mc-compare-e2e-'));
    await Promise.all([seed(a.uri, false), seed(b.uri, true)]);
    const steps: Step[] = [];
    for (let i = 0; i < LOOKUPS; i++) {
      steps.push({ conn: 'p1:1', db: DB, command: lookup(i) });
      steps.push({ conn: 'p1:2', db: DB, command: count(i) });
    }
    const capture = join(work, 'capture.mcap.gz');
    await recordWorkload(a.uri, capture, steps, { sourceHost: 'prod-db-1.example:27017' });
    dir = join(work, 'run');
    // One operation at a time, so both targets are measured under the same conditions.
    await replay({ captures: [capture], baselines: [`A=${a.uri}`], candidates: [`B=${b.uri}`], out: dir, concurrency: 1 });
    outcomes = [];
    for await (const o of readRunOutcomes(dir)) outcomes.push(o);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('reports exactly one result-difference group: the lookup that reads the changed item', () => {
    expect(outcomes).toHaveLength(2 * LOOKUPS);
    const result = compareOutcomes(outcomes, { baseline: 'A' });
    const lookupShape = shapeOf(lookup(0)).id;
    expect(result.groups).toHaveLength(1);
    const g = result.groups[0]!;
    expect(g).toMatchObject({ class: 'result-differs', shape: lookupShape, count: 1, candidate: 'B', app: 'test-app' });
    expect(g.paths.map((p) => p.path)).toEqual(['docs[].price']);
    expect(g.example.diffs).toEqual([{ path: 'docs[0].price', kind: 'value', baseline: '{"$numberDouble":"11.75"}', candidate: '{"$numberDouble":"99.5"}' }]);
    // The capture recorded the baseline's data, so the difference is the candidate's own.
    expect(g.example.cause).toBe('version');
    const v = result.verdicts.find((x) => x.candidate === 'B')!;
    expect(v.level).toBe('fail');
    expect(v.reasons[0]!.evidence).toMatchObject({ kind: 'group', shape: lookupShape, seqs: [g.example.seq], paths: ['docs[].price'] });
    expect(v.counts['result-differs']).toBe(1);
    expect((v.counts.identical ?? 0) + (v.counts.equivalent ?? 0)).toBe(2 * LOOKUPS - 1);
  });

  it('compares the run directory as a stream to the same result', async () => {
    const { compare: streamed, data } = await compareRunDir(dir);
    // Pre-flight saw item 7 differ (run.json), and the run directory's path hands that on.
    expect(data.run.preflight?.mismatches).toEqual([expect.stringMatching(/^shop\.items: A=\S+ B=\S+$/)]);
    const inMemory = compareOutcomes(outcomes, { baseline: 'A', candidates: ['B'], preflight: data.run.preflight! });
    expect(streamed).toEqual(inMemory);
    expect(streamed.candidates).toEqual(['B']);
    expect(streamed.groups[0]).toMatchObject({ cause: 'data-differs', preflight: data.run.preflight!.mismatches[0] });
  });

  it('flags the latency of the shape that lost its index if and only if it is slower', () => {
    const config = ConfigSchema.parse({}).compare;
    const result = compareOutcomes(outcomes, { baseline: 'A', config });
    const row = result.latency.find((l) => l.shape === shapeOf(lookup(0)).id)!;
    expect(row.baseline.count).toBe(LOOKUPS);
    expect(row.candidateStats.count).toBe(LOOKUPS);
    expect(row.paired).not.toBeNull();
    // "Slower" judged independently of the paired estimate, from the raw medians. FerretDB's
    // SQLite backend scans the table with or without the index (its explain says
    // SCAN), so on this server the lost index usually costs nothing; where it does
    // cost clearly, the flag must be raised.
    const p50Ratio = row.candidateStats.p50 / row.baseline.p50;
    const flagged = row.judgement === 'regression';
    if (p50Ratio >= 2) expect(flagged).toBe(true);
    if (p50Ratio < 1) expect(flagged).toBe(false);
    if (flagged) expect(row.paired!.lower).toBeGreaterThan(config.latency.minRatio);
    // A flag needs a difference that holds statistically: the same samples against
    // themselves never raise one.
    const self = compareOutcomes(
      outcomes.map((o) => ({ ...o, targets: { A: o.targets.A!, B: o.targets.A! } })),
      { baseline: 'A', config },
    );
    expect(self.latency.every((l) => l.judgement === 'same')).toBe(true);
    // And these real samples with the candidate made clearly slower (×3) are flagged.
    const slowed = compareOutcomes(
      outcomes.map((o) => ({ ...o, targets: { A: o.targets.A!, B: { ...o.targets.A!, latencyUs: o.targets.A!.latencyUs! * 3 } } })),
      { baseline: 'A', config },
    );
    expect(slowed.latency.every((l) => l.judgement === 'regression' && l.level === 'warn')).toBe(true);
  });
});
