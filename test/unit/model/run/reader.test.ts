import { fc, test } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { decodeOutcomeLine } from '../../../../harness/model/run/reader.ts';
import type { OperationOutcome } from '../../../../harness/model/run/outcome.ts';

const outcome: OperationOutcome = {
  seq: 12,
  conn: 'p1:3',
  app: 'monolith',
  db: 'shop',
  coll: 'users',
  cmd: 'find',
  shape: 'abcdef012345',
  command: { find: 'users', filter: { n: new BSON.Int32(3), big: BSON.Long.fromNumber(5), d: new BSON.Double(1) } },
  recorded: { reply: { ok: new BSON.Double(1) }, docs: [{ _id: new BSON.ObjectId() }], durUs: 930 },
  targets: {
    base: { status: 'ok', digest: 'aa', latencyUs: 812, reply: { ok: new BSON.Double(1), n: new BSON.Int32(2) }, docs: [{ v: BSON.Long.fromNumber(7) }], docsCount: 40 },
    cand: { status: 'error', error: { code: 2, codeName: 'BadValue', message: 'no' }, latencyUs: 100 },
  },
};

describe('decodeOutcomeLine', () => {
  it('round-trips an outcome: figures as numbers, BSON types kept apart', () => {
    const line = BSON.EJSON.stringify(outcome, { relaxed: false });
    const back = decodeOutcomeLine(line);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    const o = back.outcome;
    expect(o.seq).toBe(12);
    expect(o.targets.base!.latencyUs).toBe(812);
    expect(o.targets.base!.docsCount).toBe(40);
    expect(o.targets.cand!.error?.code).toBe(2);
    expect(o.recorded?.durUs).toBe(930);
    const filter = o.command.filter as BSON.Document;
    expect(filter.n).toBeInstanceOf(BSON.Int32);
    expect(filter.big).toBeInstanceOf(BSON.Long);
    expect(filter.d).toBeInstanceOf(BSON.Double);
    expect((o.targets.base!.docs![0] as BSON.Document).v).toBeInstanceOf(BSON.Long);
  });

  it('reports a line missing a field by name', () => {
    const r = decodeOutcomeLine(JSON.stringify({ seq: 1, conn: 'c', db: 'd', shape: 's', targets: {} }));
    expect(r).toEqual({ ok: false, message: 'field cmd: expected a string' });
  });

  test.prop([fc.string()])('never throws on garbage text', (text) => {
    const r = decodeOutcomeLine(text);
    expect(typeof r.ok).toBe('boolean');
  });

  test.prop([fc.jsonValue()])('never throws on any JSON value', (value) => {
    const r = decodeOutcomeLine(JSON.stringify(value) ?? 'null');
    expect(typeof r.ok).toBe('boolean');
  });
});
