import { fc, test as propTest } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { normaliseSide, recordedSide } from '../../../harness/compare/normalise.ts';
import type { TargetOutcome } from '../../../harness/model/run/outcome.ts';
import { bsonDoc } from './arbitraries.ts';

const ejson = (v: unknown): string => BSON.EJSON.stringify({ v } as BSON.Document, { relaxed: false });

const outcome = fc.record({
  body: bsonDoc,
  batch: fc.array(bsonDoc, { maxLength: 4 }),
  withDocs: fc.boolean(),
  volatile: fc.boolean(),
}).map(({ body, batch, withDocs, volatile }): TargetOutcome => ({
  status: 'ok',
  reply: {
    ...body,
    cursor: { firstBatch: withDocs ? [] : batch, id: BSON.Long.fromNumber(42), ns: 'db.c' },
    ...(volatile ? { $clusterTime: { clusterTime: new BSON.Timestamp({ t: 1, i: 1 }) }, operationTime: new BSON.Timestamp({ t: 1, i: 1 }) } : {}),
    ok: new BSON.Double(1),
  },
  ...(withDocs ? { docs: batch as BSON.Document[] } : {}),
}));

describe('normaliseSide', () => {
  propTest.prop([outcome, fc.constantFrom('find', 'aggregate', 'distinct')])('is idempotent', (o, cmd) => {
    const once = normaliseSide(o, cmd);
    expect(ejson(normaliseSide(once, cmd))).toBe(ejson(once));
  });

  it('removes volatile fields and takes a cursor batch out into docs, keeping types', () => {
    const n = normaliseSide(
      {
        status: 'ok',
        reply: {
          cursor: { firstBatch: [{ a: new BSON.Int32(1) }], id: BSON.Long.fromNumber(0), ns: 'd.c' },
          ok: 1,
          $clusterTime: {},
          operationTime: new BSON.Timestamp({ t: 1, i: 2 }),
        },
      },
      'find',
    );
    expect(Object.keys(n.reply!)).toEqual(['cursor', 'ok']);
    expect(Object.keys(n.reply!.cursor)).toEqual(['id', 'ns']);
    expect(n.docs).toHaveLength(1);
    expect((n.docs![0] as { a: BSON.Int32 }).a).toBeInstanceOf(BSON.Int32);
  });

  it('treats distinct values as a result, and recorded replies like replayed ones', () => {
    expect(normaliseSide({ status: 'ok', reply: { values: ['b', 'a'], ok: 1 } }, 'distinct').docs).toEqual(['b', 'a']);
    const r = recordedSide({ reply: { cursor: { firstBatch: [{ x: 1 }], id: 0 }, ok: 1 } }, 'find');
    expect(r).toMatchObject({ status: 'ok', docs: [{ x: 1 }] });
    expect(recordedSide({ error: { code: 2 } }, 'find')?.status).toBe('error');
    expect(recordedSide(undefined, 'find')).toBeUndefined();
  });

  propTest.prop([fc.anything(), fc.string()])('never throws on garbage replies', (reply, cmd) => {
    expect(() => normaliseSide({ status: 'ok', reply: reply as BSON.Document }, cmd)).not.toThrow();
  });
});
