import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { PlansConfigSchema } from '../../../harness/config/schema.ts';
import type { OperationOutcome } from '../../../harness/model/run/outcome.ts';
import { pickOf, ShapePicker } from '../../../harness/plans/select.ts';

const settings = PlansConfigSchema.parse({ verbosity: 'executionStats', timeLimitMs: 750 });
const i32 = (n: number) => new BSON.Int32(n);

function outcome(seq: number, cmd: string, command: BSON.Document, status: 'ok' | 'error' = 'ok', shape = `s-${cmd}`): OperationOutcome {
  return { seq, conn: 'c1', db: 'shop', coll: 'items', cmd, shape, command, targets: { A: { status }, B: { status: 'ok' } } };
}

describe('which operations are explained, and how', () => {
  it('explains reads at the configured verbosity with maxTimeMS, without session, concern or transaction fields', () => {
    const p = pickOf(outcome(1, 'find', { find: 'items', filter: { a: i32(5) }, lsid: { id: 'x' }, txnNumber: i32(1), readConcern: { level: 'majority' }, maxTimeMS: i32(60_000), $db: 'shop' }), settings)!;
    expect(p.write).toBe(false);
    expect(p.explain).toEqual({ explain: { find: 'items', filter: { a: i32(5) } }, verbosity: 'executionStats', maxTimeMS: 750 });
  });

  it('explains every write at queryPlanner whatever verbosity is configured, a batch by its first statement', () => {
    const update = pickOf(outcome(2, 'update', { update: 'items', updates: [{ q: { a: i32(1) }, u: { $set: { b: 1 } } }, { q: { a: i32(2) }, u: { $set: { b: 2 } } }], writeConcern: { w: 'majority' } }), settings)!;
    expect(update).toMatchObject({ write: true, verbosity: 'queryPlanner' });
    expect(update.explain).toEqual({ explain: { update: 'items', updates: [{ q: { a: i32(1) }, u: { $set: { b: 1 } } }] }, verbosity: 'queryPlanner', maxTimeMS: 750 });
    expect(pickOf(outcome(3, 'delete', { delete: 'items', deletes: [{ q: {}, limit: i32(0) }] }), settings)!.verbosity).toBe('queryPlanner');
    expect(pickOf(outcome(4, 'findandmodify', { findandmodify: 'items', query: {}, remove: true }), settings)).toMatchObject({ cmd: 'findAndModify', write: true, verbosity: 'queryPlanner' });
    expect(pickOf(outcome(5, 'aggregate', { aggregate: 'items', pipeline: [{ $match: {} }, { $merge: { into: 'x' } }], cursor: {} }), settings)!.verbosity).toBe('queryPlanner');
    expect(pickOf(outcome(6, 'aggregate', { aggregate: 'items', pipeline: [{ $match: {} }], cursor: {} }), settings)!.verbosity).toBe('executionStats');
    expect(pickOf(outcome(7, 'update', { update: 'items', updates: [] }), settings)).toBeUndefined();
  });

  it('keeps per shape the first operations that succeeded on the baseline, else the first ones, and skips what explain does not take', () => {
    const picker = new ShapePicker({ ...settings, perShape: 2 }, 'A');
    picker.add(outcome(1, 'find', { find: 'items', filter: {} }, 'error'));
    picker.add(outcome(2, 'find', { find: 'items', filter: {} }));
    picker.add(outcome(3, 'find', { find: 'items', filter: {} }));
    picker.add(outcome(4, 'find', { find: 'items', filter: {} }));
    picker.add(outcome(5, 'count', { count: 'items', query: {} }, 'error'));
    picker.add(outcome(6, 'insert', { insert: 'items', documents: [{}] }));
    picker.add(outcome(7, 'getMore', { getMore: new BSON.Long(1), collection: 'items' }));
    expect(picker.picks().map((p) => `${p.cmd}:${p.seq}`)).toEqual(['find:2', 'find:3', 'count:5']);
  });
});
