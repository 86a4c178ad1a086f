import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { PlansConfigSchema } from '../../../harness/config/schema.ts';
import { diffPlans, worstLevel, type PlanOutcome } from '../../../harness/plans/diff.ts';
import { readExplain } from '../../../harness/plans/read.ts';
import { planFixture, planFixtures } from './fixtures.ts';

const DEFAULTS = PlansConfigSchema.parse({});

function plan(file: string): PlanOutcome {
  const r = readExplain(planFixture(file).explain);
  if (!r.ok) throw new Error(r.message);
  return { ok: true, plan: r.plan };
}

const kinds = (b: PlanOutcome, c: PlanOutcome, settings = DEFAULTS) => diffPlans(b, c, settings).map((x) => `${x.kind}:${x.level}`);

describe('diffPlans on pairs of real plans', () => {
  it('finds nothing between a plan and itself, for every fixture', () => {
    for (const f of planFixtures()) expect(kinds(plan(f.file), plan(f.file)), f.file).toEqual([]);
  });

  it('an index scan (4.2 FETCH over IXSCAN age_1) become a collection scan fails by default, and the documents examined per document returned grew', () => {
    const changes = diffPlans(plan('mongodb-4.2.24-find-ixscan-fetch.json'), plan('mongodb-4.2.24-find-collscan.json'), DEFAULTS);
    expect(changes.map((c) => `${c.kind}:${c.level}`)).toEqual(['collscan:fail', 'docs-ratio:warn']);
    expect(changes[0]!.message).toBe('index scan became a collection scan (baseline used age_1 { age: 1 })');
    expect(changes[0]).toMatchObject({ baselineNodes: ['0.0'], candidateNodes: ['0'] });
    expect(worstLevel(changes)).toBe('fail');
  });

  it('4.4 $out over an index, against 4.2 $sort over a collection scan: collection scan and a blocking sort', () => {
    expect(kinds(plan('mongodb-4.4.25-aggregate-out.json'), plan('mongodb-4.2.24-aggregate-sort-collscan.json'))).toEqual(['collscan:fail', 'blocking-sort:warn']);
  });

  it('a blocking sort over the same collection scan that examines 2,500 documents per document returned: blocking sort and the ratio', () => {
    const changes = diffPlans(plan('mongodb-4.2.24-find-collscan.json'), plan('mongodb-4.2.24-find-collscan-blocking-sort.json'), DEFAULTS);
    expect(changes.map((c) => c.kind)).toEqual(['blocking-sort', 'docs-ratio']);
    expect(changes[0]!.message).toBe('a blocking sort appeared ({ name: 1 })');
    expect(changes[1]!.message).toBe('documents examined per document returned grew from 12.14 to 2500 (more than ×2)');
  });

  it('8.0 COUNT_SCAN status_1 against an express scan of _id_: index and engine changed', () => {
    expect(kinds(plan('mongodb-8.0.3-count-count-scan.json'), plan('mongodb-8.0.3-find-express-ixscan.json'))).toEqual(['engine-changed:info', 'index-changed:warn']);
  });

  it('5.0 classic against 6.0 SBE for the same find over the same index: only the engine changed', () => {
    const changes = diffPlans(plan('mongodb-5.0.20-find-classic-compound-index.json'), plan('mongodb-6.0.12-find-sbe-compound-index.json'), DEFAULTS);
    expect(changes).toEqual([{ kind: 'engine-changed', level: 'info', message: 'explained by classic on the baseline, sbe on the candidate', baselineNodes: [], candidateNodes: [] }]);
  });

  it('a sharded find against a sharded aggregation over the same index: the shape changed below the router, nothing else', () => {
    expect(kinds(plan('mongodb-7.0.4-sharded-find-shard-merge.json'), plan('mongodb-5.0.20-sharded-aggregate-group.json'))).toEqual(['shape-changed:warn']);
  });

  it('FerretDB: a scanned table against a missing one is a changed plan shape, with the nodes marked', () => {
    const changes = diffPlans(plan('ferretdb-1.24.2-sqlite-find-filter-indexed-field.json'), plan('ferretdb-1.24.2-sqlite-find-missing-collection.json'), DEFAULTS);
    expect(changes.map((c) => `${c.kind}:${c.level}`)).toEqual(['shape-changed:warn']);
    expect(changes[0]).toMatchObject({ message: 'plan COLLSCAN → EOF', baselineNodes: ['0'], candidateNodes: ['0'] });
  });

  it('FerretDB: an _id filter pushed down on the baseline and not on the candidate', () => {
    expect(kinds(plan('ferretdb-1.24.2-sqlite-find-id-pushdown.json'), plan('ferretdb-1.24.2-sqlite-find-filter-indexed-field.json'))).toEqual(['pushdown-lost:warn']);
    expect(kinds(plan('ferretdb-1.24.2-sqlite-find-id-pushdown.json'), plan('ferretdb-1.24.2-postgresql-find-id-pushdown.json'))).toEqual(['engine-changed:info']);
  });

  it('does not compare FerretDB plans with MongoDB plans', () => {
    expect(diffPlans(plan('mongodb-4.2.24-find-ixscan-fetch.json'), plan('ferretdb-1.24.2-sqlite-find-filter-indexed-field.json'), DEFAULTS)).toEqual([
      { kind: 'engine-changed', level: 'info', message: 'different products (classic and ferretdb-sqlite): plans not compared', baselineNodes: [], candidateNodes: [] },
    ]);
  });

  it('a failed explain on the candidate fails; on the baseline only it is shown, not judged', () => {
    const failed: PlanOutcome = { ok: false, error: { message: 'hint provided does not correspond to an existing index', code: 2, codeName: 'BadValue' } };
    expect(diffPlans(plan('mongodb-4.2.24-find-ixscan-fetch.json'), failed, DEFAULTS)).toMatchObject([{ kind: 'explain-failed', level: 'fail', message: "the candidate's explain failed: BadValue: hint provided does not correspond to an existing index" }]);
    expect(kinds(failed, plan('mongodb-4.2.24-find-ixscan-fetch.json'))).toEqual(['explain-failed:info']);
    expect(kinds(failed, failed)).toEqual([]);
    const timedOut: PlanOutcome = { ok: false, error: { message: 'no answer within 200 ms', timedOut: true } };
    expect(diffPlans(plan('mongodb-4.2.24-find-ixscan-fetch.json'), timedOut, DEFAULTS)[0]!.message).toBe("the candidate's explain failed: timed out (no answer within 200 ms)");
  });

  it('takes its levels and ratio factor from the config', () => {
    const settings = PlansConfigSchema.parse({ ratioFactor: 50_000, levels: { collscan: 'warn', 'blocking-sort': 'off' } });
    expect(kinds(plan('mongodb-4.2.24-find-ixscan-fetch.json'), plan('mongodb-4.2.24-find-collscan.json'), settings)).toEqual(['collscan:warn']);
    expect(kinds(plan('mongodb-4.2.24-find-collscan.json'), plan('mongodb-4.2.24-find-collscan-blocking-sort.json'), settings)).toEqual([]);
  });
});

describe('diffPlans on any pair of readable plans', () => {
  const files = planFixtures().map((f) => f.file);
  propTest.prop([fc.constantFrom(...files), fc.constantFrom(...files)], { numRuns: 100 })('never throws, and every change names a configured kind', (a, b) => {
    for (const c of diffPlans(plan(a), plan(b), DEFAULTS)) expect(Object.keys(DEFAULTS.levels)).toContain(c.kind);
  });
});
