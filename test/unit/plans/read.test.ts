import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { readExplain } from '../../../harness/plans/read.ts';
import { planLines, planSignature, walkPlan, PLAN_KINDS, type PlanNode } from '../../../harness/plans/tree.ts';
import { planFixture, planFixtures } from './fixtures.ts';

/**
 * The explain formats the supported servers return, each with the fixtures that hold it. A
 * format with only hand-written fixtures is one no public real output was found for.
 */
const FORMATS: Readonly<Record<string, readonly string[]>> = {
  '4.2 classic winningPlan, executionStats, SORT over SORT_KEY_GENERATOR with memUsage': ['mongodb-4.2.7-findandmodify-update-sort-collscan.json'],
  '4.2 aggregation stages over $cursor': ['mongodb-4.2.7-aggregate-collscan-group-sort.json'],
  '4.2 count and distinct: RECORD_STORE_FAST_COUNT, EOF': ['mongodb-4.2.7-count-record-store-fast-count.json', 'mongodb-4.2.7-distinct-eof.json'],
  '4.x find: COLLSCAN and FETCH over IXSCAN of one query': ['mongodb-4.x-find-collscan-comments.json', 'mongodb-4.x-find-ixscan-fetch-comments.json'],
  '4.4 aggregation pushed down whole (optimizedPipeline, top-level queryPlanner), COLLSCAN and FETCH over IXSCAN with a rejected plan': ['mongodb-4.4.10-aggregate-pushed-down-collscan-tpch.json', 'mongodb-4.4.10-aggregate-pushed-down-ixscan-tpch.json'],
  '4.4 executionSuccess false, and an explain answered ok 0 (MaxTimeMSExpired)': ['mongodb-4.4.10-aggregate-pushed-down-execution-failed-tpch.json', 'mongodb-4.4.10-aggregate-lookup-explain-timed-out.json'],
  '5.0+ classic (explainVersion "1"), COUNT_SCAN, covered projection': ['mongodb-5.0-or-later-count-count-scan.json', 'mongodb-5.0-or-later-find-projection-covered.json', 'mongodb-6.0.15-find-collscan.json'],
  '5.1+ slot-based (explainVersion "2", queryPlan and slotBasedPlan)': ['mongodb-5.1.0-find-sbe-fetch-ixscan.json'],
  'sharded find through mongos (winningPlan.shards[], executionStats per shard)': ['mongodb-6.0.15-sharded-find-shard-merge-sort.json'],
  'sharded aggregation through mongos (shards keyed by name)': ['mongodb-5.0.20-sharded-aggregate-group.json'],
  '6.0 classic find with a blocking SORT (memLimit, type; usedDisk in executionStages), over an index and over a collection scan': ['mongodb-6.0.3-find-sort-ixscan-tickets.json', 'mongodb-6.0.3-find-sort-collscan-tickets.json'],
  '6.0 slot-based aggregation: stages[0].$cursor with queryPlan GROUP, later stages beside it': ['mongodb-6.0.3-aggregate-sbe-group-ixscan-tickets.json', 'mongodb-6.0.3-aggregate-sbe-group-collscan-tickets.json'],
  '6.0 classic aggregation stages with per-stage statistics ($group, $project, $out)': ['mongodb-6.0.3-aggregate-group-out-tickets.json'],
  'writes explained: UPDATE over an index scan and over a collection scan': ['mongodb-6.0.3-update-ixscan-tickets.json', 'mongodb-6.0.3-update-collscan-tickets.json'],
  '7.0 CLUSTERED_IXSCAN': ['mongodb-7.0.4-find-clustered-ixscan.json'],
  '8.0 express (EXPRESS_IXSCAN)': ['mongodb-8.0.3-find-express-ixscan.json'],
  'FerretDB 1.24 on SQLite and PostgreSQL': ['ferretdb-1.24.2-sqlite-find-id-pushdown.json', 'ferretdb-1.24.2-postgresql-find-id-pushdown.json'],
};

/** The hand-written fixtures, each standing for a format no real output was found for. */
const HAND_WRITTEN = ['mongodb-5.0.20-sharded-aggregate-group.json', 'mongodb-7.0.4-find-clustered-ixscan.json', 'mongodb-8.0.3-find-express-ixscan.json'];

describe('the explain fixtures', () => {
  const fixtures = planFixtures();

  it('cover every format, each by the fixtures named for it', () => {
    const files = new Set(fixtures.map((f) => f.file));
    for (const [format, names] of Object.entries(FORMATS)) for (const n of names) expect(files.has(n), `${format}: ${n}`).toBe(true);
    const engines = new Set(fixtures.map((f) => ('engine' in f.expect ? f.expect.engine : 'none')));
    for (const e of ['classic', 'sbe', 'express', 'ferretdb-sqlite', 'ferretdb-pg', 'ferretdb']) expect(engines).toContain(e);
  });

  it('name their source: real output a public URL (or this project’s test machine), the server version and what was trimmed', () => {
    for (const f of fixtures.filter((x) => x.origin === 'server output')) {
      expect(f.source, f.file).not.toMatch(/written for mongo-compat/);
      expect(f.trimmed, f.file).toBeTruthy();
      expect(f.server, f.file).toMatch(/^(\d+\.\d+|\d+\.x|FerretDB )/);
      if (f.file.startsWith('ferretdb-')) expect(f.source, f.file).toMatch(/^captured on this project's test machine/);
      else {
        expect(f.url, f.file).toMatch(/^https:\/\/(github\.com|jira\.mongodb\.org)\//);
        expect(f.source, f.file).toContain(f.url);
      }
    }
  });

  it('are hand-written only where no real output was found, and say so', () => {
    expect(fixtures.filter((f) => f.origin !== 'server output').map((f) => f.file)).toEqual(HAND_WRITTEN);
    for (const f of fixtures.filter((x) => x.origin === 'hand-written')) {
      expect(f.source, f.file).toMatch(/^written for mongo-compat from the manual's Explain Results page \(v\d\.\d\).*not server output; kept: no public .* was found$/);
      expect(f.url, f.file).toBeUndefined();
    }
  });
});

describe('readExplain on real explain output', () => {
  const fixtures = planFixtures();

  it.each(fixtures.map((f) => [f.file, f] as const))('%s reads into the tree model', (_file, f) => {
    const r = readExplain(f.explain);
    if ('error' in f.expect) {
      expect(r).toEqual({ ok: false, message: f.expect.error });
      return;
    }
    if (!r.ok) throw new Error(r.message);
    expect(r.plan.engine).toBe(f.expect.engine);
    expect(planSignature(r.plan.root)).toBe(f.expect.signature);
    expect(r.plan.metrics).toEqual(f.expect.metrics);
    expect(r.plan.pushdown).toEqual(f.expect.pushdown);
    if (f.server.match(/^\d+\.\d+\.\d+/)) expect(r.plan.server).toBe(f.server);
    for (const { node } of walkPlan(r.plan.root)) expect(PLAN_KINDS).toContain(node.kind);
  });

  it('reads a 4.2 aggregation: $sort above $group above the $cursor collection scan, metrics from the cursor', () => {
    const r = readExplain(planFixture('mongodb-4.2.7-aggregate-collscan-group-sort.json').explain);
    expect(r.ok && planLines(r.plan.root)).toEqual(['SORT ($sort) sort { total: -1 }', '  GROUP ($group)', '    COLLSCAN +filter']);
    expect(r.ok && r.plan.server).toBe('4.2.7-7');
  });

  it("reads 4.2's SORT over SORT_KEY_GENERATOR with its sort pattern and limit, and the same tree without SORT_KEY_GENERATOR", () => {
    const real = planFixture('mongodb-4.2.7-findandmodify-update-sort-collscan.json').explain as { queryPlanner: { winningPlan: { inputStage: Record<string, unknown> } } };
    const r = readExplain(real);
    expect(r.ok && planLines(r.plan.root)).toEqual(['WRITE (UPDATE)', '  SORT sort { rating: 1 } limit=1', '    COLLSCAN +filter']);
    // 4.4 dropped SORT_KEY_GENERATOR from find plans: the same plan with the stage taken out reads the same.
    const sort = real.queryPlanner.winningPlan.inputStage;
    const without = { queryPlanner: { winningPlan: { ...real.queryPlanner.winningPlan, inputStage: { ...sort, inputStage: (sort.inputStage as Record<string, unknown>).inputStage } } } };
    const w = readExplain(without);
    expect(w.ok && r.ok && w.plan.root).toEqual(r.ok && r.plan.root);
  });

  it("takes a SORT's usedDisk from executionStages, where servers write it, and nothing from a sort that stayed in memory", () => {
    const real = planFixture('mongodb-4.2.7-findandmodify-update-sort-collscan.json').explain as { executionStats: { executionStages: { inputStage: Record<string, unknown> } } };
    const inMemory = readExplain(real);
    expect(inMemory.ok && inMemory.plan.root.children[0]!.attrs).toEqual({ limit: 1 });
    const spilled = structuredClone(real);
    spilled.executionStats.executionStages.inputStage.usedDisk = true;
    const r = readExplain(spilled);
    expect(r.ok && r.plan.root.children[0]!.attrs).toEqual({ limit: 1, usedDisk: true });
  });

  it('reads a 6.0 slot-based aggregation: $sort with its limit above the GROUP the engine ran, never the SBE stage tree', () => {
    const r = readExplain(planFixture('mongodb-6.0.3-aggregate-sbe-group-collscan-tickets.json').explain);
    if (!r.ok) throw new Error(r.message);
    expect(planLines(r.plan.root)).toEqual(['SORT ($sort) sort { total: -1 } limit=1', '  GROUP', '    COLLSCAN +filter']);
    const text = JSON.stringify(r.plan);
    for (const internal of ['mkobj', 'applyClassicMatcher', 'planNodeId', 'numTested']) expect(text).not.toContain(internal);
  });

  it('takes usedDisk of $sort and $group from beside the stage, where 6.0 writes it at executionStats', () => {
    const real = planFixture('mongodb-6.0.3-aggregate-group-out-tickets.json').explain as { stages: Record<string, unknown>[] };
    const inMemory = readExplain(real);
    expect(inMemory.ok && planLines(inMemory.plan.root)).toEqual(['PIPELINE_STAGE ($out)', '  PROJECTION ($project)', '    GROUP ($group)', '      PROJECTION (PROJECTION_SIMPLE)', '        COLLSCAN']);
    const spilled = structuredClone(real);
    spilled.stages[1]!.usedDisk = true;
    const r = readExplain(spilled);
    expect(r.ok && r.plan.root.children[0]!.children[0]).toMatchObject({ stage: '$group', attrs: { usedDisk: true } });
  });

  it('reads the SBE queryPlan (never slotBasedPlan) with index, key pattern and bounds', () => {
    const r = readExplain(planFixture('mongodb-5.1.0-find-sbe-fetch-ixscan.json').explain);
    if (!r.ok) throw new Error(r.message);
    expect(r.plan.server).toBe('5.1.0');
    expect(r.plan.root.children[0]).toEqual({ kind: 'INDEX_SCAN', stage: 'IXSCAN', index: 'a_1', keyPattern: '{ a: 1 }', bounds: 'a: [1.0, 1.0]', direction: 'forward', children: [] });
    expect(r.plan.rejected).toBe(0);
    const text = JSON.stringify(r.plan);
    for (const internal of ['planNodeId', 'RESULT', 'timeZoneDB']) expect(text).not.toContain(internal);
  });

  it('reads a real classic plan and a real SBE plan of an index scan into the same node kinds and fields', () => {
    const classic = readExplain(planFixture('mongodb-4.x-find-ixscan-fetch-comments.json').explain);
    const sbe = readExplain(planFixture('mongodb-5.1.0-find-sbe-fetch-ixscan.json').explain);
    if (!classic.ok || !sbe.ok) throw new Error('unreadable');
    expect([classic.plan.engine, sbe.plan.engine]).toEqual(['classic', 'sbe']);
    const shape = (n: PlanNode): unknown => ({ kind: n.kind, stage: n.stage, fields: Object.keys(n).sort(), children: n.children.map(shape) });
    expect(shape(classic.plan.root)).toEqual(shape(sbe.plan.root));
    expect(planLines(classic.plan.root)).toEqual(['FETCH', '  INDEX_SCAN (IXSCAN) name_1 { name: 1 } name: ["Ramsay Bolton", "Ramsay Bolton"]']);
  });

  it("reads COUNT_SCAN's start and end keys from inside indexBounds, MinKey and MaxKey by name", () => {
    const r = readExplain(planFixture('mongodb-5.0-or-later-count-count-scan.json').explain);
    expect(r.ok && planLines(r.plan.root)).toEqual([
      'COUNT',
      '  INDEX_SCAN (COUNT_SCAN) user_runs { args.username: -1, last_updated: -1 } [{ args.username: "Vizvezdenec", last_updated: MaxKey } .. { args.username: "Vizvezdenec", last_updated: MinKey }]',
    ]);
    const exclusive = readExplain({ queryPlanner: { winningPlan: { stage: 'COUNT_SCAN', indexName: 'a_1', indexBounds: { startKey: { a: 5 }, startKeyInclusive: false, endKey: { a: { $maxKey: 1 } }, endKeyInclusive: false } } } });
    expect(exclusive.ok && exclusive.plan.root.bounds).toBe('({ a: 5 } .. { a: MaxKey })');
  });

  it('reads a covered projection over an index scan whose bounds run backwards', () => {
    const r = readExplain(planFixture('mongodb-5.0-or-later-find-projection-covered.json').explain);
    expect(r.ok && planLines(r.plan.root)).toEqual([
      'PROJECTION (PROJECTION_COVERED)',
      '  INDEX_SCAN (IXSCAN) user_runs { args.username: -1, last_updated: -1 } args.username: ["Vizvezdenec", "Vizvezdenec"]; last_updated: [MaxKey, MinKey]',
    ]);
  });

  it('reads a clustered collection scan as an index scan with no index name or bounds of its own', () => {
    const r = readExplain(planFixture('mongodb-7.0.4-find-clustered-ixscan.json').explain);
    expect(r.ok && r.plan.root).toEqual({ kind: 'INDEX_SCAN', stage: 'CLUSTERED_IXSCAN', index: '(clustered)', direction: 'forward', filter: true, children: [] });
  });

  it('writes an express key pattern given as a string the way a document pattern is written', () => {
    const r = readExplain(planFixture('mongodb-8.0.3-find-express-ixscan.json').explain);
    expect(r.ok && r.plan.root).toMatchObject({ kind: 'INDEX_SCAN', stage: 'EXPRESS_IXSCAN', index: '_id_', keyPattern: '{ _id: 1 }', children: [] });
    const classic = readExplain({ queryPlanner: { winningPlan: { stage: 'IXSCAN', indexName: 'a_1_b_1', keyPattern: { a: 1, b: 1 } } } });
    expect(classic.ok && classic.plan.root.keyPattern).toBe('{ a: 1, b: 1 }');
  });

  it('names each shard of a sharded find, drops SORT_KEY_GENERATOR from the shard plans, and takes success from the shards', () => {
    const f = planFixture('mongodb-6.0.15-sharded-find-shard-merge-sort.json');
    const r = readExplain(f.explain);
    if (!r.ok) throw new Error(r.message);
    expect(r.plan.root.stage).toBe('SHARD_MERGE_SORT');
    expect(r.plan.root.children.map((c) => c.attrs?.shard)).toEqual(['shard01', 'shard02', 'shard03', 'shard04']);
    expect(r.plan.server).toBe('6.0.15');
    expect(r.plan.metrics).toEqual({ nReturned: 51, keysExamined: 51, docsExamined: 51, executionTimeMillis: 3, success: true });
    const failed = structuredClone(f.explain) as { executionStats: { executionStages: { shards: Record<string, unknown>[] } } };
    Object.assign(failed.executionStats.executionStages.shards[2]!, { executionSuccess: false, errorMessage: 'operation exceeded time limit' });
    const rf = readExplain(failed);
    expect(rf.ok && rf.plan.metrics).toMatchObject({ success: false, errorMessage: 'shard03: operation exceeded time limit' });
  });

  it('reads a sharded aggregation: shards keyed by name, each its own stages, merged by mongos', () => {
    const r = readExplain(planFixture('mongodb-5.0.20-sharded-aggregate-group.json').explain);
    if (!r.ok) throw new Error(r.message);
    expect(r.plan.root).toMatchObject({ kind: 'SHARD_ROUTER', stage: 'merge:mongos' });
    expect(r.plan.root.children.map((c) => [c.stage, c.attrs?.shard])).toEqual([
      ['$group', 'shard-a'],
      ['$group', 'shard-b'],
    ]);
    expect(r.plan.metrics).toBeUndefined();
  });

  it('reads FerretDB SQLite rows, a temporary B-tree as a sort, and a missing table as EOF', () => {
    const rows = readExplain({ queryPlanner: { Plan: ['id=3 parent=0 notused=0 detail=SCAN items_3a79338f', 'id=9 parent=0 notused=0 detail=USE TEMP B-TREE FOR ORDER BY'] }, filterPushdown: false, serverInfo: { ferretdbVersion: 'v1.24.2' } });
    expect(rows.ok && planSignature(rows.plan.root)).toBe('SORT(COLLSCAN)');
    const search = readExplain({ queryPlanner: { Plan: ['id=2 parent=0 notused=0 detail=SEARCH t USING INDEX t_a (a=?)'] }, filterPushdown: true });
    expect(search.ok && search.plan.root).toMatchObject({ kind: 'INDEX_SCAN', index: 't_a', bounds: 'a=?' });
    const missing = readExplain(planFixture('ferretdb-1.24.2-sqlite-find-missing-collection.json').explain);
    expect(missing.ok && missing.plan.root).toMatchObject({ kind: 'EOF', attrs: { type: 'nonExistentNamespace' } });
  });

  it('reads an index scan whose bounds run from an open end to -inf, and counts the rejected plan', () => {
    const r = readExplain(planFixture('mongodb-4.4.10-aggregate-pushed-down-ixscan-tpch.json').explain);
    if (!r.ok) throw new Error(r.message);
    expect(planLines(r.plan.root)).toEqual(['FETCH', '  INDEX_SCAN (IXSCAN) idx_customer_d { c_acctbal: -1 } c_acctbal: (-10.0, -inf.0]']);
    expect(r.plan.rejected).toBe(1);
  });

  it('says why a failed explain has no plan', () => {
    expect(readExplain({ ok: 0, errmsg: 'error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index', code: 2 })).toEqual({
      ok: false,
      message: 'explain failed: error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index (code 2)',
    });
    expect(readExplain({ ok: 1 })).toEqual({ ok: false, message: 'explain has no queryPlanner, stages or shards' });
  });
});

const KEYS = ['stage', 'inputStage', 'inputStages', 'queryPlanner', 'winningPlan', 'queryPlan', 'rejectedPlans', 'stages', 'shards', '$cursor', '$sort', 'executionStats', 'Plan', 'Plans', 'Node Type', 'filterPushdown', 'serverInfo', 'indexBounds', 'keyPattern', 'indexName', 'ok', 'nReturned', 'sortPattern', 'limitAmount', 'startKey', 'endKey', 'startKeyInclusive', 'executionStages', 'usedDisk', 'shardName', 'executionSuccess'];
const explainLike = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.anything({ maxDepth: 1 }), fc.constantFrom('IXSCAN', 'SORT', 'COLLSCAN', 'EXPRESS_IXSCAN', 'SORT_KEY_GENERATOR', 'id=1 parent=0 notused=0 detail=SCAN t'), tie('doc'), fc.array(tie('value'), { maxLength: 3 })),
  doc: fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 5 }),
}));

describe('readExplain on garbage', () => {
  propTest.prop([fc.anything()], { numRuns: 300 })('never throws on any value', (v) => {
    const r = readExplain(v);
    expect(typeof r.ok).toBe('boolean');
  });

  propTest.prop([explainLike.doc], { numRuns: 400 })('never throws on explain-shaped garbage, and what it reads prints', (v) => {
    const r = readExplain(v);
    if (r.ok) {
      expect(planLines(r.plan.root).length).toBeGreaterThan(0);
      expect(planSignature(r.plan.root)).toMatch(/^[A-Z_]/);
    } else expect(r.message.length).toBeGreaterThan(0);
  });

  it('refuses a plan nested deeper than any server writes, without overflowing the stack', () => {
    let node: Record<string, unknown> = { stage: 'COLLSCAN' };
    for (let i = 0; i < 100_000; i++) node = { stage: 'FETCH', inputStage: node };
    const r = readExplain({ queryPlanner: { winningPlan: node } });
    expect(r).toEqual({ ok: false, message: 'plan nested too deeply' });
  });
});
