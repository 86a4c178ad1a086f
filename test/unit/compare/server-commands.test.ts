import { fc, test as propTest } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { compareOutcomes } from '../../../harness/compare/compare.ts';
import { describesServer, SERVER_DESCRIBING_COMMANDS, SERVER_DESCRIBING_STAGES } from '../../../harness/model/server-commands.ts';
import { shapeOf } from '../../../harness/model/shape.ts';
import type { OperationOutcome, TargetOutcome } from '../../../harness/model/run/outcome.ts';

function op(seq: number, command: BSON.Document, base: TargetOutcome, cand: TargetOutcome): OperationOutcome {
  const cmd = Object.keys(command)[0]!;
  return { seq, conn: 'c1', app: 'shop', db: 'admin', cmd, shape: shapeOf(command).id, command, targets: { base, cand } };
}

const STAGES = ['$accumulator', '$addFields', '$bucket', '$count', '$documents', '$facet', '$group', '$limit', '$lookup', '$merge', '$sortByCount', '$sort', '$unwind', '$unionWith'];

/** FerretDB's buildInfo as two fresh servers answer it: another feature order, another build. */
function buildInfo(version: string, stages: readonly string[]): TargetOutcome {
  return {
    status: 'ok',
    reply: { version: '7.0.42', gitVersion: version, versionArray: [new BSON.Int32(7), new BSON.Int32(0), new BSON.Int32(42), new BSON.Int32(0)], ferretdbFeatures: { aggregationStages: [...stages] }, ok: new BSON.Double(1) },
  };
}

describe('describesServer', () => {
  it('matches command names case-insensitively, as the server accepts buildinfo and ismaster', () => {
    for (const name of ['buildInfo', 'buildinfo', 'BUILDINFO', 'serverStatus', 'isMaster', 'ismaster', 'hello', 'getParameter', 'listCommands', 'hostInfo', 'dbStats', 'collStats', 'currentOp', 'replSetGetStatus', 'getDefaultRWConcern']) {
      expect(describesServer(name, { [name]: 1 }), name).toBe(true);
    }
    for (const name of ['find', 'insert', 'count', 'distinct', 'listIndexes', 'listCollections', 'listDatabases', 'dbHash', 'findAndModify']) {
      expect(describesServer(name, { [name]: 'c' }), name).toBe(false);
    }
  });

  it('knows a pipeline by its first stage only', () => {
    expect(describesServer('aggregate', { aggregate: 'c', pipeline: [{ $collStats: { storageStats: {} } }] })).toBe(true);
    expect(describesServer('aggregate', { aggregate: 1, pipeline: [{ $currentOp: {} }, { $match: { active: true } }] })).toBe(true);
    expect(describesServer('aggregate', { aggregate: 'c', pipeline: [{ $indexStats: {} }] })).toBe(true);
    expect(describesServer('aggregate', { aggregate: 'c', pipeline: [{ $match: {} }, { $collStats: {} }] })).toBe(false);
    expect(describesServer('aggregate', { aggregate: 'c', pipeline: [{ $group: { _id: '$a' } }] })).toBe(false);
    expect(describesServer('aggregate', { aggregate: 'c', pipeline: 'nonsense' })).toBe(false);
    expect(describesServer('aggregate', { aggregate: 'c', pipeline: [null] })).toBe(false);
  });

  it('keeps its tables frozen, in lower case', () => {
    expect(Object.isFrozen(SERVER_DESCRIBING_COMMANDS)).toBe(true);
    expect(Object.isFrozen(SERVER_DESCRIBING_STAGES)).toBe(true);
    for (const k of [...Object.keys(SERVER_DESCRIBING_COMMANDS), ...Object.keys(SERVER_DESCRIBING_STAGES)]) expect(k).toBe(k.toLowerCase());
  });
});

describe('server-describing commands in a comparison', () => {
  it('judge only success: another version and another feature order pass, and the differences are listed apart', () => {
    const outcomes = [1, 2, 3].map((i) => op(i, { buildInfo: 1 }, buildInfo('aaa111', STAGES), buildInfo('bbb222', [...STAGES].reverse())));
    const r = compareOutcomes(outcomes, { baseline: 'base' });
    expect(r.groups).toEqual([]);
    expect(r.verdicts).toEqual([expect.objectContaining({ level: 'pass', counts: { equivalent: 3 }, reasons: [] })]);
    expect(r.serverDifferences).toEqual([
      {
        candidate: 'cand',
        command: 'buildInfo',
        operations: 3,
        // Deduplicated across the three operations; the reordered feature list is no difference.
        paths: [{ path: 'reply.gitVersion', kind: 'value', baseline: '"aaa111"', candidate: '"bbb222"', count: 3 }],
        morePaths: 0,
      },
    ]);
  });

  it('list a feature added on the candidate, and nothing for an identical reply', () => {
    const r = compareOutcomes(
      [op(1, { buildInfo: 1 }, buildInfo('x', STAGES), buildInfo('x', [...STAGES, '$vectorSearch'])), op(2, { serverStatus: 1 }, { status: 'ok', reply: { ok: 1 } }, { status: 'ok', reply: { ok: 1 } })],
      { baseline: 'base' },
    );
    expect(r.verdicts[0]!.counts).toEqual({ equivalent: 1, identical: 1 });
    expect(r.serverDifferences).toHaveLength(1);
    expect(r.serverDifferences[0]!.paths).toEqual([{ path: 'reply.ferretdbFeatures.aggregationStages[]', kind: 'extra', candidate: '"$vectorSearch"', count: 1 }]);
  });

  it('still find a failure on the candidate where the baseline succeeded: new-error, and the verdict fails', () => {
    const r = compareOutcomes([op(1, { serverStatus: 1 }, { status: 'ok', reply: { uptime: 5, ok: 1 } }, { status: 'error', error: { code: 13, codeName: 'Unauthorized' } })], { baseline: 'base' });
    expect(r.groups).toEqual([expect.objectContaining({ class: 'new-error', cmd: 'serverStatus' })]);
    expect(r.verdicts[0]!.level).toBe('fail');
    expect(r.serverDifferences).toEqual([]);
  });

  it('take a failure on both sides as alike, listing another error code as a server difference', () => {
    const fail = (code: number, codeName: string): TargetOutcome => ({ status: 'error', error: { code, codeName, message: 'not running with --replSet' } });
    const r = compareOutcomes([op(1, { replSetGetStatus: 1 }, fail(76, 'NoReplicationEnabled'), fail(303, 'Unknown'))], { baseline: 'base' });
    expect(r.groups).toEqual([]);
    expect(r.verdicts[0]!.level).toBe('pass');
    expect(r.serverDifferences[0]!.paths.map((p) => p.path)).toEqual(['error.code', 'error.codeName']);
  });

  it('name a server-describing pipeline by its stage, and leave masked paths out', () => {
    const stats = (size: number): TargetOutcome => ({ status: 'ok', reply: { cursor: { firstBatch: [], id: BSON.Long.fromNumber(7), ns: 'app.c' }, ok: 1 }, docs: [{ ns: 'app.c', storageStats: { size } }] });
    const r = compareOutcomes([op(1, { aggregate: 'c', pipeline: [{ $collStats: { storageStats: {} } }] }, stats(100), stats(200))], { baseline: 'base' });
    expect(r.groups).toEqual([]);
    expect(r.serverDifferences).toEqual([expect.objectContaining({ command: 'aggregate $collStats', paths: [expect.objectContaining({ path: 'docs[].storageStats.size', baseline: '{"$numberInt":"100"}' })] })]);
  });

  propTest.prop([fc.array(fc.string({ maxLength: 6 }), { maxLength: 12 }), fc.func(fc.integer())])('never make an app difference of any reordering of arrays in a server reply', (items, f) => {
    const shuffled = [...items].sort((x, y) => f(x) - f(y) || x.localeCompare(y));
    const reply = (list: string[]): TargetOutcome => ({ status: 'ok', reply: { nested: { list, docs: list.map((s) => ({ s, tags: [...list] })) }, ok: 1 } });
    const r = compareOutcomes([op(1, { hostInfo: 1 }, reply(items), reply(shuffled))], { baseline: 'base' });
    expect(r.groups).toEqual([]);
    expect(r.serverDifferences).toEqual([]);
  });
});
