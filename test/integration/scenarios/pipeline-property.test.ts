import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../../../harness/replay/run.ts';
import { compareRunDir } from '../../../harness/report/compare-run.ts';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { runScenarios } from '../../../scenarios/lib/run.ts';
import { seedScenario } from '../../../scenarios/lib/seed.ts';
import { uniqueDbName } from '../../helpers/fresh-db.ts';
import { opArb, workloadScenario } from '../../unit/scenarios/arbitraries.ts';

/**
 * The pipeline property: any generated workload, driven through the recording proxy
 * into one server and replayed (writes included) against two fresh databases seeded
 * the same, gives zero differences and a PASS. Bounded: a few runs of a few dozen
 * operations.
 */
let source: FerretDbInstance;
let a: FerretDbInstance;
let b: FerretDbInstance;
let work: string;

beforeAll(async () => {
  [source, a, b] = (await Promise.all(['src', 'a', 'b'].map((name) => startFerretDb({ name, replicaSet: false })))) as [FerretDbInstance, FerretDbInstance, FerretDbInstance];
  work = await mkdtemp(join(tmpdir(), 'mc-scenario-prop-'));
}, 60_000);

afterAll(async () => {
  await Promise.all([source?.stop(), a?.stop(), b?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('capture → replay of generated workloads', () => {
  it('replays any generated workload on fresh servers seeded alike with zero differences', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 20 }), async (ops) => {
        const n = ++run;
        const db = uniqueDbName('prop');
        const scenario = workloadScenario(db, ops);
        const out = join(work, `w${n}.jsonl.gz`);
        const result = await runScenarios({ names: [], scenarios: [scenario], target: source.uri, throughProxy: true, scale: 1, ops: ops.length, seed: 1, out });
        // The baseline and the candidate: a fresh database of the same name on each of two other servers.
        for (const t of [a, b]) {
          const c = new MongoClient(t.uri);
          try {
            await seedScenario(c.db(db), scenario, 1, 1);
          } finally {
            await c.close();
          }
        }
        const dir = join(work, `run${n}`);
        const { run: r } = await replay({ captures: result.files, baselines: [`A=${a.uri}`], candidates: [`B=${b.uri}`], out: dir, allowWrites: true });
        expect(r.counts.differences).toBe(0);
        const { compare } = await compareRunDir(dir);
        expect(compare.verdicts.map((v) => v.level)).toEqual(['pass']);
      }),
      { numRuns: 2, seed: 20261201 },
    );
  }, 120_000);
});
