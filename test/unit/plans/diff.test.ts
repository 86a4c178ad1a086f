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

/** Real output of one query on one collection, before and after its index was created. */
const IXSCAN = 'mongodb-4.x-find-ixscan-fetch-comments.json';
const COLLSCAN = 'mongodb-4.x-find-collscan-comments.json';

describe('diffPlans on pairs of real plans', () => {
  it('finds nothing between a plan and itself, for every fixture with a plan', () => {
    for (const f of planFixtures().filter((x) => !('error' in x.expect))) expect(kinds(plan(f.file), plan(f.file)), f.file).toEqual([]);
  });

  it('real pair, one query on one collection: FETCH over IXSCAN name_1 become a COLLSCAN fails by default, and the documents examined per document returned grew', () => {
    const changes = diffPlans(plan(IXSCAN), plan(COLLSCAN), DEFAULTS);
    expect(changes.map((c) => `${c.kind}:${c.level}`)).toEqual(['collscan:fail', 'docs-ratio:warn']);
    expect(changes[0]!.message).toBe('index scan became a collection scan (baseline used name_1 { name: 1 })');
    expect(changes[0]).toMatchObject({ baselineNodes: ['0.0'], candidateNodes: ['0'] });
    expect(changes[1]!.message).toBe('documents examined per document returned grew from 1 to 184 (more than ×2)');
    expect(worstLevel(changes)).toBe('fail');
    // The other way round the candidate gained an index: nothing to flag.
    expect(kinds(plan(COLLSCAN), plan(IXSCAN))).toEqual(['shape-changed:warn']);
  });

  it.each([
    ['a sorted find', 'mongodb-6.0.3-find-sort-ixscan-tickets.json', 'mongodb-6.0.3-find-sort-collscan-tickets.json', 'startingAirport_1_destinationAirport_1 { startingAirport: 1, destinationAirport: 1 }', ['0.0.0.0'], ['0.0.0']],
    ['a slot-based $group aggregation', 'mongodb-6.0.3-aggregate-sbe-group-ixscan-tickets.json', 'mongodb-6.0.3-aggregate-sbe-group-collscan-tickets.json', 'flightDate_-1 { flightDate: -1 }', ['0.0.0.0'], ['0.0.0']],
    ['an update', 'mongodb-6.0.3-update-ixscan-tickets.json', 'mongodb-6.0.3-update-collscan-tickets.json', 'legId_-1 { legId: -1 }', ['0.0.0'], ['0.0']],
  ])('real 6.0.3 pair, %s on one collection with and without its index: collection scan fails, the docs ratio warns', (_what, withIndex, without, index, bNodes, cNodes) => {
    const changes = diffPlans(plan(withIndex), plan(without), DEFAULTS);
    expect(changes.map((c) => `${c.kind}:${c.level}`)).toEqual(['collscan:fail', 'docs-ratio:warn']);
    expect(changes[0]).toMatchObject({ message: `index scan became a collection scan (baseline used ${index})`, baselineNodes: bNodes, candidateNodes: cNodes });
  });

  it('real 4.4.10 pair, an aggregation pushed down whole, with and without its index: collection scan fails, the docs ratio warns', () => {
    const changes = diffPlans(plan('mongodb-4.4.10-aggregate-pushed-down-ixscan-tpch.json'), plan('mongodb-4.4.10-aggregate-pushed-down-collscan-tpch.json'), DEFAULTS);
    expect(changes.map((c) => [c.kind, c.level, c.message])).toEqual([
      ['collscan', 'fail', 'index scan became a collection scan (baseline used idx_customer_d { c_acctbal: -1 })'],
      ['docs-ratio', 'warn', 'documents examined per document returned grew from 1 to 11.06 (more than ×2)'],
    ]);
  });

  it('a real explain whose execution failed (4.4.10, executionSuccess false) fails on the candidate, whatever its plan', () => {
    const changes = diffPlans(plan('mongodb-4.4.10-aggregate-pushed-down-collscan-tpch.json'), plan('mongodb-4.4.10-aggregate-pushed-down-execution-failed-tpch.json'), DEFAULTS);
    expect(changes).toEqual([
      { kind: 'explain-failed', level: 'fail', message: "the candidate's explain failed: executionSuccess false: Exec error resulting in state FAILURE :: caused by :: interrupted at shutdown", baselineNodes: [], candidateNodes: [] },
    ]);
  });

  it('real pair, classic against SBE: a 4.x classic index scan and a 5.1 slot-based one are compared node by node, not as text', () => {
    expect(diffPlans(plan(IXSCAN), plan('mongodb-5.1.0-find-sbe-fetch-ixscan.json'), DEFAULTS).map((c) => [c.kind, c.level, c.message])).toEqual([
      ['engine-changed', 'info', 'explained by classic on the baseline, sbe on the candidate'],
      ['index-changed', 'warn', 'index name_1 { name: 1 } → a_1 { a: 1 }'],
    ]);
  });

  it('real pair over one index: a covered find and a count on user_runs differ in shape only, the index is the same', () => {
    const changes = diffPlans(plan('mongodb-5.0-or-later-find-projection-covered.json'), plan('mongodb-5.0-or-later-count-count-scan.json'), DEFAULTS);
    expect(changes).toEqual([{ kind: 'shape-changed', level: 'warn', message: 'plan PROJECTION(INDEX_SCAN[user_runs]) → COUNT(INDEX_SCAN[user_runs])', baselineNodes: ['0'], candidateNodes: ['0'] }]);
  });

  it("a real 4.2 in-memory SORT against a real collection scan without one is a blocking sort, with the sort's pattern", () => {
    const changes = diffPlans(plan(COLLSCAN), plan('mongodb-4.2.7-findandmodify-update-sort-collscan.json'), DEFAULTS);
    expect(changes.map((c) => `${c.kind}:${c.level}`)).toEqual(['blocking-sort:warn']);
    expect(changes[0]).toMatchObject({ message: 'a blocking sort appeared ({ rating: 1 })', candidateNodes: ['0.0'] });
  });

  it('a sharded find whose shards all used user_id_1 against a single collection scan: the scan is flagged against the shards’ index', () => {
    const changes = diffPlans(plan('mongodb-6.0.15-sharded-find-shard-merge-sort.json'), plan('mongodb-6.0.15-find-collscan.json'), DEFAULTS);
    expect(changes.map((c) => `${c.kind}:${c.level}`)).toEqual(['collscan:fail', 'docs-ratio:warn']);
    expect(changes[0]).toMatchObject({ message: 'index scan became a collection scan (baseline used user_id_1 { user_id: 1 })', baselineNodes: ['0.0.0.0.0', '0.1.0.0.0', '0.2.0.0.0', '0.3.0.0.0'] });
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
    expect(diffPlans(plan(IXSCAN), plan('ferretdb-1.24.2-sqlite-find-filter-indexed-field.json'), DEFAULTS)).toEqual([
      { kind: 'engine-changed', level: 'info', message: 'different products (classic and ferretdb-sqlite): plans not compared', baselineNodes: [], candidateNodes: [] },
    ]);
  });

  it('a failed explain on the candidate fails; on the baseline only it is shown, not judged', () => {
    const failed: PlanOutcome = { ok: false, error: { message: 'hint provided does not correspond to an existing index', code: 2, codeName: 'BadValue' } };
    expect(diffPlans(plan(IXSCAN), failed, DEFAULTS)).toMatchObject([{ kind: 'explain-failed', level: 'fail', message: "the candidate's explain failed: BadValue: hint provided does not correspond to an existing index" }]);
    expect(kinds(failed, plan(IXSCAN))).toEqual(['explain-failed:info']);
    expect(kinds(failed, failed)).toEqual([]);
    const timedOut: PlanOutcome = { ok: false, error: { message: 'no answer within 200 ms', timedOut: true } };
    expect(diffPlans(plan(IXSCAN), timedOut, DEFAULTS)[0]!.message).toBe("the candidate's explain failed: timed out (no answer within 200 ms)");
  });

  it('takes its levels and ratio factor from the config', () => {
    const settings = PlansConfigSchema.parse({ ratioFactor: 50_000, levels: { collscan: 'warn', 'blocking-sort': 'off' } });
    expect(kinds(plan(IXSCAN), plan(COLLSCAN), settings)).toEqual(['collscan:warn']);
    expect(kinds(plan(COLLSCAN), plan('mongodb-4.2.7-findandmodify-update-sort-collscan.json'), settings)).toEqual([]);
  });
});

describe('diffPlans on any pair of readable plans', () => {
  const files = planFixtures()
    .filter((f) => !('error' in f.expect))
    .map((f) => f.file);
  propTest.prop([fc.constantFrom(...files), fc.constantFrom(...files)], { numRuns: 100 })('never throws, and every change names a configured kind', (a, b) => {
    for (const c of diffPlans(plan(a), plan(b), DEFAULTS)) expect(Object.keys(DEFAULTS.levels)).toContain(c.kind);
  });
});
