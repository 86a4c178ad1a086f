import { describe, expect, it } from 'vitest';
import { datasetText, operationsText } from '../../../scenarios/lib/serialise.ts';
import { SCENARIOS } from '../../../scenarios/registry.ts';
import { resolveScenarios, checkNumbers, clientUri } from '../../../scenarios/lib/run.ts';

/**
 * Scenarios are pure functions of (seed, scale, count): the same inputs give
 * byte-identical canonical Extended JSON, other seeds other bytes.
 */
const NAMES = Object.keys(SCENARIOS);

describe.each(NAMES)('scenario %s', (name) => {
  const s = SCENARIOS[name]!;

  it('gives a byte-identical dataset and operation sequence for the same seed, and different ones for another seed', () => {
    const d1 = datasetText(s.dataset(7, 0.5));
    const d2 = datasetText(s.dataset(7, 0.5));
    const o1 = operationsText(s.operations(7, 0.5, 300));
    const o2 = operationsText(s.operations(7, 0.5, 300));
    expect(d2).toBe(d1);
    expect(o2).toBe(o1);
    expect(datasetText(s.dataset(8, 0.5))).not.toBe(d1);
    expect(operationsText(s.operations(8, 0.5, 300))).not.toBe(o1);
  });

  it('makes exactly the operations asked for, a prefix of any longer run', () => {
    const long = s.operations(3, 1, 120);
    const short = s.operations(3, 1, 40);
    expect(long).toHaveLength(120);
    expect(short).toHaveLength(40);
    expect(operationsText(short)).toBe(operationsText(long.slice(0, 40)));
  });

  it('scales its dataset with the factor, never below one document per non-empty collection', () => {
    const count = (scale: number) => s.dataset(1, scale).collections.reduce((n, c) => n + c.docs.length, 0);
    expect(count(2)).toBeGreaterThan(count(0.5));
    for (const c of s.dataset(1, 0.0001).collections) if (s.dataset(1, 1).collections.find((x) => x.name === c.name)!.docs.length > 0) expect(c.docs.length).toBeGreaterThan(0);
  });

  it('gives every document an _id and stamps no wall-clock date', () => {
    const now = Date.now();
    for (const c of s.dataset(11, 1).collections) for (const d of c.docs) expect(d._id, `${c.name}`).toBeDefined();
    const text = operationsText(s.operations(11, 1, 200)) + datasetText(s.dataset(11, 1));
    for (const m of text.matchAll(/"\$numberLong":"(\d+)"/g)) expect(Math.abs(Number(m[1]) - now)).toBeGreaterThan(86_400_000);
  });
});

describe('the applications’ distinctive command shapes', () => {
  const ops = (name: string) => SCENARIOS[name]!.operations(1, 1, 400);
  it('monolith claims jobs with findAndModify sorted by priority then age, and takes locks', () => {
    expect(ops('monolith').some((o) => o.op === 'findOneAndUpdate' && o.coll === 'optimizeJobs' && JSON.stringify(o.sort) === '{"priority":-1,"createdAt":1}')).toBe(true);
    expect(ops('monolith').some((o) => o.op === 'findOneAndUpdate' && o.coll === 'locks')).toBe(true);
  });
  it('gcsp reads with readPreference secondary and joins with $lookup', () => {
    expect(SCENARIOS.gcsp!.client.readPreference).toBe('secondary');
    expect(ops('gcsp').some((o) => o.op === 'aggregate' && o.pipeline.some((st) => '$lookup' in st))).toBe(true);
  });
  it('hammer aggregates with allowDiskUse over a replicaSet connection', () => {
    expect(SCENARIOS.hammer!.client.connect).toBe('replica-set');
    expect(ops('hammer').some((o) => o.op === 'aggregate' && o.allowDiskUse === true)).toBe(true);
  });
  it('data-export opens noCursorTimeout cursors with small batches', () => {
    expect(ops('data-export').some((o) => o.op === 'find' && o.noCursorTimeout === true && (o.batchSize ?? 0) <= 50)).toBe(true);
  });
  it('dbupgrader migrates with collMod, pipeline updates and renameCollection on admin', () => {
    const o = ops('dbupgrader');
    expect(o.some((x) => x.op === 'runCommand' && 'collMod' in x.command)).toBe(true);
    expect(o.some((x) => x.op === 'updateMany' && Array.isArray(x.update))).toBe(true);
    expect(o.some((x) => x.op === 'runCommand' && x.admin === true && 'renameCollection' in x.command)).toBe(true);
  });
  it('sync24h sends ordered and unordered bulk upserts', () => {
    const bulks = ops('sync24h').filter((o) => o.op === 'bulkWrite');
    expect(new Set(bulks.map((o) => o.op === 'bulkWrite' && o.ordered))).toEqual(new Set([true, false]));
  });
  it('dre never uses findAndModify; dre-legacy sends its finds as OP_QUERY', () => {
    expect(ops('dre').some((o) => o.op.startsWith('findOneAnd'))).toBe(false);
    expect(ops('dre-legacy').some((o) => o.op === 'legacyFind')).toBe(true);
    expect(ops('dre-legacy').some((o) => o.op === 'find')).toBe(false);
    expect(SCENARIOS.dre!.client.connect).toBe('tls');
  });
});

describe('run inputs', () => {
  it('refuses an unknown scenario, a bad scale, count or seed with MC_SCENARIO naming the value', () => {
    expect(() => resolveScenarios(['nope'])).toThrow(expect.objectContaining({ code: 'MC_SCENARIO', message: expect.stringContaining("unknown scenario 'nope'") }));
    expect(() => resolveScenarios([])).toThrow(expect.objectContaining({ code: 'MC_SCENARIO' }));
    expect(() => checkNumbers({ scale: 0, ops: 1, seed: 1 })).toThrow(/--scale 0/);
    expect(() => checkNumbers({ scale: 1, ops: 1.5, seed: 1 })).toThrow(/--ops 1.5/);
    expect(() => checkNumbers({ scale: 1, ops: 1, seed: -1 })).toThrow(/--seed -1/);
  });

  it('builds the app’s connection string: the proxy in place of the hosts, replicaSet or directConnection, TLS, appName', () => {
    const u = new URL(clientUri('mongodb://u:p@db1:27017/?directConnection=true&tls=true', { hosts: ['127.0.0.1:4000'], replicaSet: 'rs0', app: 'hammer' }).replace('mongodb:', 'http:'));
    expect(u.host).toBe('127.0.0.1:4000');
    expect(u.username).toBe('u');
    expect(Object.fromEntries(u.searchParams)).toEqual({ replicaSet: 'rs0', appName: 'hammer' });
    const t = new URL(clientUri('mongodb://db1:27017/', { hosts: ['127.0.0.1:4000'], tlsCaFile: '/tmp/c.pem', app: 'dre' }).replace('mongodb:', 'http:'));
    expect(Object.fromEntries(t.searchParams)).toEqual({ directConnection: 'true', tls: 'true', tlsCAFile: '/tmp/c.pem', appName: 'dre' });
  });
});

describe('runScenarios', () => {
  it('refuses the legacy OP_QUERY variant without the proxy before touching any server', async () => {
    const { runScenarios } = await import('../../../scenarios/lib/run.ts');
    await expect(runScenarios({ names: ['dre-legacy'], target: 'mongodb://127.0.0.1:1/', throughProxy: false, scale: 1, ops: 10, seed: 1, out: '/nonexistent/x.jsonl.gz' })).rejects.toMatchObject({
      code: 'MC_SCENARIO',
      message: expect.stringContaining('dre-legacy: its legacy OP_QUERY finds can be recorded only through the proxy'),
    });
  });
});
