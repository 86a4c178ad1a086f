import { fc, test as propTest } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { metricFigures, NOT_AVAILABLE, SERVER_METRICS, snapshotMetrics } from '../../../harness/contention/server-metrics.ts';
import { isWriteConflictLine, logFigure, parseGetLog } from '../../../harness/contention/server-log.ts';

describe('serverStatus figures', () => {
  it('reads driver number types and reports what is absent as not available, never 0', () => {
    const before = snapshotMetrics({ opcounters: { command: new BSON.Long(10) }, metrics: { operation: { writeConflicts: new BSON.Int32(3) } }, globalLock: { currentQueue: { writers: 0 } } });
    const mid = snapshotMetrics({ globalLock: { currentQueue: { writers: 9 } } });
    const after = snapshotMetrics({ opcounters: { command: new BSON.Long(110) }, metrics: { operation: { writeConflicts: new BSON.Double(503) } }, globalLock: { currentQueue: { writers: 1 } } });
    const figures = metricFigures(before, after, [mid], 2000);
    const byName = new Map(figures.map((f) => [f.name, f]));
    expect(byName.get('opcounters.command')).toMatchObject({ available: true, delta: 100, perSec: 50 });
    expect(byName.get('metrics.operation.writeConflicts')).toMatchObject({ available: true, delta: 500 });
    expect(byName.get('globalLock.currentQueue.writers')).toMatchObject({ available: true, min: 0, max: 9 });
    expect(byName.get('wiredTiger.concurrentTransactions.write.out')).toEqual({ name: 'wiredTiger.concurrentTransactions.write.out', kind: 'gauge', available: false, reason: NOT_AVAILABLE });
    expect(figures).toHaveLength(SERVER_METRICS.length);
  });

  propTest.prop([fc.anything()])('never throws on any serverStatus-like value', (doc) => {
    const snap = snapshotMetrics(doc);
    const figures = metricFigures(snap, snap, [snap], 1000);
    for (const f of figures) if (f.available && f.kind === 'counter') expect(f.delta).toBe(0);
  });
});

describe('getLog write-conflict lines', () => {
  const line23802 = '{"t":{"$date":"2023-01-01T00:00:00.000Z"},"s":"W","c":"COMMAND","id":23802,"ctx":"conn1","msg":"Plan executor error during findAndModify"}';

  it('recognises the 4.4+ JSON id and the 4.2 debug text', () => {
    expect(isWriteConflictLine(line23802)).toBe(true);
    expect(isWriteConflictLine('2020-01-01T00:00:00.000+0000 D1 WRITE [conn5] Caught WriteConflictException doing findAndModify on db.jobs, attempt: 3')).toBe(true);
    expect(isWriteConflictLine('{"id":238020}')).toBe(false);
  });

  it('counts only the lines written during the step and says when getLog lost some', () => {
    const before = { totalLinesWritten: 10, lines: ['x'] };
    expect(logFigure(before, { totalLinesWritten: 13, lines: ['a', line23802, 'b', line23802] })).toEqual({ available: true, newLines: 3, writeConflictLines: 2, lowerBound: false });
    expect(logFigure(before, { totalLinesWritten: 5000, lines: [line23802] })).toMatchObject({ writeConflictLines: 1, lowerBound: true });
  });

  it('reports a refused getLog and an empty server log as not available', () => {
    expect(logFigure('not available on this server (getLog refused: Unauthorized)', { totalLinesWritten: 1, lines: [] })).toMatchObject({ available: false });
    expect(logFigure({ totalLinesWritten: 0, lines: [] }, { totalLinesWritten: 0, lines: [] })).toMatchObject({ available: false });
  });

  propTest.prop([fc.anything(), fc.anything()])('never throws on any getLog-like reply', (a, b) => {
    const pa = parseGetLog(a) ?? 'not available';
    const pb = parseGetLog(b) ?? 'not available';
    const f = logFigure(pa, pb);
    expect(typeof f.available).toBe('boolean');
  });
});
