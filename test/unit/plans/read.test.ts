import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { readExplain } from '../../../harness/plans/read.ts';
import { planLines, planSignature, walkPlan, PLAN_KINDS } from '../../../harness/plans/tree.ts';
import { planFixture, planFixtures } from './fixtures.ts';

describe('readExplain on real explain output', () => {
  const fixtures = planFixtures();

  it('has fixtures of every format: 4.2, 4.4, 5.0 classic, 6.0 SBE, 7.0 clustered and sharded, 8.0 express, aggregation stages, FerretDB on SQLite and PostgreSQL', () => {
    const servers = new Set(fixtures.map((f) => f.server.replace(/^(\d+\.\d+).*/, '$1')));
    for (const v of ['4.2', '4.4', '5.0', '6.0', '7.0', '8.0', 'FerretDB v1.24.2']) expect(servers).toContain(v);
    const engines = new Set(fixtures.map((f) => f.expect.engine));
    for (const e of ['classic', 'sbe', 'express', 'ferretdb-sqlite', 'ferretdb-pg', 'ferretdb']) expect(engines).toContain(e);
    expect(fixtures.filter((f) => f.expect.signature.startsWith('SHARD_ROUTER'))).toHaveLength(2);
    for (const f of fixtures) expect(f.source.length, f.file).toBeGreaterThan(20);
    for (const f of fixtures.filter((x) => x.file.startsWith('mongodb-'))) expect(f.source, f.file).toMatch(/^written for mongo-compat from the manual's Explain Results page \(v\d\.\d\)/);
  });

  it.each(fixtures.map((f) => [f.file, f] as const))('%s reads into the tree model', (_file, f) => {
    const r = readExplain(f.explain);
    if (!r.ok) throw new Error(r.message);
    expect(r.plan.engine).toBe(f.expect.engine);
    expect(planSignature(r.plan.root)).toBe(f.expect.signature);
    expect(r.plan.metrics).toEqual(f.expect.metrics);
    expect(r.plan.pushdown).toEqual(f.expect.pushdown);
    for (const { node } of walkPlan(r.plan.root)) expect(PLAN_KINDS).toContain(node.kind);
  });

  it('reads a 4.2 aggregation: the $sort stage above the $cursor collection scan, metrics from the cursor', () => {
    const r = readExplain(planFixture('mongodb-4.2.24-aggregate-sort-collscan.json').explain);
    expect(r.ok && planLines(r.plan.root)).toEqual(['SORT ($sort) sort { name: -1 } limit=100', '  COLLSCAN +filter']);
    expect(r.ok && r.plan.server).toBe('4.2.24');
    expect(r.ok && r.plan.metrics).toMatchObject({ nReturned: 31208, docsExamined: 120000 });
  });

  it('reads the SBE queryPlan (never slotBasedPlan nor the SBE executionStages) with index, key pattern and bounds', () => {
    const r = readExplain(planFixture('mongodb-6.0.12-find-sbe-compound-index.json').explain);
    if (!r.ok) throw new Error(r.message);
    const scan = [...walkPlan(r.plan.root)].find((x) => x.node.kind === 'INDEX_SCAN')!.node;
    expect(scan).toMatchObject({ stage: 'IXSCAN', index: 'cuisine_1_borough_1', keyPattern: '{ cuisine: 1, borough: 1 }' });
    expect(scan.bounds).toBe('cuisine: ["Italian", "Italian"]; borough: ["Brooklyn", "Brooklyn"]');
    expect(r.plan.rejected).toBe(1);
    const text = JSON.stringify(r.plan);
    for (const internal of ['planNodeId', 'ixseek', 'nlj', 's11']) expect(text).not.toContain(internal);
  });

  it('reads the 5.0 classic plan and the 6.0 SBE plan of one find into the same tree', () => {
    const classic = readExplain(planFixture('mongodb-5.0.20-find-classic-compound-index.json').explain);
    const sbe = readExplain(planFixture('mongodb-6.0.12-find-sbe-compound-index.json').explain);
    expect(classic.ok && classic.plan.engine).toBe('classic');
    expect(sbe.ok && sbe.plan.engine).toBe('sbe');
    expect(classic.ok && classic.plan.root).toEqual(sbe.ok && sbe.plan.root);
  });

  it('reads a clustered collection scan as an index scan with no index name or bounds of its own', () => {
    const r = readExplain(planFixture('mongodb-7.0.4-find-clustered-ixscan.json').explain);
    expect(r.ok && r.plan.root).toEqual({ kind: 'INDEX_SCAN', stage: 'CLUSTERED_IXSCAN', index: '(clustered)', direction: 'forward', filter: true, children: [] });
  });

  it("reads COUNT_SCAN's start and end keys as its bounds", () => {
    const r = readExplain(planFixture('mongodb-8.0.3-count-count-scan.json').explain);
    expect(r.ok && planLines(r.plan.root)).toEqual(['COUNT', '  INDEX_SCAN (COUNT_SCAN) status_1 { status: 1 } { status: "A" } .. { status: "A" }']);
  });

  it('writes an express key pattern given as a string the way a document pattern is written', () => {
    const r = readExplain(planFixture('mongodb-8.0.3-find-express-ixscan.json').explain);
    expect(r.ok && r.plan.root).toMatchObject({ kind: 'INDEX_SCAN', stage: 'EXPRESS_IXSCAN', index: '_id_', keyPattern: '{ _id: 1 }', children: [] });
    const classic = readExplain({ queryPlanner: { winningPlan: { stage: 'IXSCAN', indexName: 'a_1_b_1', keyPattern: { a: 1, b: 1 } } } });
    expect(classic.ok && classic.plan.root.keyPattern).toBe('{ a: 1, b: 1 }');
  });

  it('names each shard of a sharded find and sums nothing it was not given', () => {
    const r = readExplain(planFixture('mongodb-7.0.4-sharded-find-shard-merge.json').explain);
    if (!r.ok) throw new Error(r.message);
    expect(r.plan.root.stage).toBe('SHARD_MERGE');
    expect(r.plan.root.children.map((c) => c.attrs?.shard)).toEqual(['shard-a', 'shard-b']);
    expect(r.plan.server).toBe('7.0.4');
    expect(r.plan.metrics).toEqual({ nReturned: 6140, keysExamined: 6140, docsExamined: 6140, executionTimeMillis: 9 });
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

  it("reads 4.2's SORT over SORT_KEY_GENERATOR as the same tree as the later SORT without it", () => {
    // The 4.2.0 layout (explain.cpp of that era); 4.4 dropped SORT_KEY_GENERATOR from find plans.
    const v42 = readExplain({ queryPlanner: { winningPlan: { stage: 'SORT', sortPattern: { close: -1 }, limitAmount: 1, inputStage: { stage: 'SORT_KEY_GENERATOR', inputStage: { stage: 'COLLSCAN', direction: 'forward' } } } } });
    const v44 = readExplain({ queryPlanner: { winningPlan: { stage: 'SORT', sortPattern: { close: -1 }, memLimit: 104857600, limitAmount: 1, type: 'simple', inputStage: { stage: 'COLLSCAN', direction: 'forward' } } } });
    expect(v42.ok && v44.ok && v42.plan.root).toEqual(v44.ok && v44.plan.root);
    expect(v42.ok && planLines(v42.plan.root)).toEqual(['SORT sort { close: -1 } limit=1', '  COLLSCAN']);
  });

  it('says why a failed explain has no plan', () => {
    expect(readExplain({ ok: 0, errmsg: 'error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index', code: 2 })).toEqual({
      ok: false,
      message: 'explain failed: error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index (code 2)',
    });
    expect(readExplain({ ok: 1 })).toEqual({ ok: false, message: 'explain has no queryPlanner, stages or shards' });
  });
});

const KEYS = ['stage', 'inputStage', 'inputStages', 'queryPlanner', 'winningPlan', 'queryPlan', 'rejectedPlans', 'stages', 'shards', '$cursor', '$sort', 'executionStats', 'Plan', 'Plans', 'Node Type', 'filterPushdown', 'serverInfo', 'indexBounds', 'keyPattern', 'indexName', 'ok', 'nReturned', 'sortPattern', 'limitAmount', 'startKey'];
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
