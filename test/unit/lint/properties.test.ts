import { fc, test as propTest } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { describe, expect } from 'vitest';
import { Linter } from '../../../harness/lint/engine.ts';
import { RULES } from '../../../harness/lint/rules/index.ts';
import { OperationView } from '../../../harness/lint/view.ts';
import { OPCODE_NAMES, type OperationRecord } from '../../../harness/model/record.ts';
import { bsonDocument, bsonScalar, operationRecord } from '../store/arbitraries.ts';

/**
 * Records built to reach the rules' deeper branches: a known command name first, then
 * the fields rules read (filters, projections, sorts, pipelines, update statements,
 * JavaScript) filled with arbitrary values, under any opcode, with or without an error.
 */
const COMMANDS = ['find', 'findAndModify', 'findandmodify', 'aggregate', 'update', 'delete', 'insert', 'count', 'distinct', 'mapReduce', 'create', 'createIndexes', 'dropIndexes', 'dbStats', 'isMaster', 'hello', 'explain', 'compact', 'getLastError', 'listIndexes'];
const FIELDS = ['filter', 'query', 'projection', 'fields', 'sort', 'skip', 'limit', 'pipeline', 'updates', 'deletes', 'update', 'indexes', 'viewOn', 'writeConcern', 'txnNumber', 'autocommit', '$readPreference', 'explain', 'index', 'freeStorage', 'hint', 'map', 'reduce', '$query', '$orderby', 'allowDiskUse', 'remove'];

const value: fc.Arbitrary<unknown> = fc.oneof(
  bsonScalar,
  bsonDocument,
  fc.array(bsonDocument, { maxLength: 3 }),
  fc.constant(null),
  fc.string().map((c) => new BSON.Code(c, { x: 1 })),
  fc.constantFrom('Array.concat(a, b)', '*', 'system.buckets.x', 'majority'),
  fc.array(fc.oneof(bsonScalar, fc.constant(null)), { maxLength: 3 }).map((a) => ({ $in: a, $mod: a, $add: a })),
);

const lintRecord: fc.Arbitrary<OperationRecord> = fc
  .record({
    cmd: fc.constantFrom(...COMMANDS),
    target: fc.oneof(fc.string({ maxLength: 6 }), bsonScalar),
    fields: fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 }),
    op: fc.constantFrom(...OPCODE_NAMES),
    conn: fc.constantFrom('c1', 'c2', 'c3'),
    app: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
    error: fc.option(fc.record({ code: fc.constantFrom(96, 263, 292, 10107, 12587, 11000), codeName: fc.string(), message: fc.string() }), { nil: undefined }),
  })
  .map(({ cmd, target, fields, op, conn, app, error }) => ({
    seq: 0,
    t: 0,
    dur: null,
    conn,
    ...(app ? { app } : {}),
    db: 'app',
    cmd,
    op,
    command: { [cmd]: target, ...fields },
    ...(error ? { error } : {}),
  }));

const anyRecord = fc.oneof(lintRecord, operationRecord);

function bytes(r: OperationRecord): string {
  return Buffer.from(BSON.serialize({ c: r.command } as BSON.Document)).toString('hex');
}

describe('lint properties', () => {
  propTest.prop([anyRecord], { numRuns: 200 })('no rule throws on any record, and each answers the same twice without changing it', (record) => {
    const before = bytes(record);
    for (const rule of RULES) {
      const a = rule.match(new OperationView(record));
      const b = rule.match(new OperationView(record));
      expect(typeof a).toBe('boolean');
      expect(b).toBe(a);
    }
    expect(bytes(record)).toBe(before);
  });

  propTest.prop([fc.array(anyRecord, { maxLength: 20 })], { numRuns: 60 })('the linter never throws, no rule errs, and two runs give the same result', (records) => {
    const run = () => {
      const l = new Linter({ from: '4.2', to: '8.0' });
      for (const r of records) l.add(r);
      return { result: l.result(), errors: [...l.ruleErrors], ignored: l.ignored };
    };
    const first = run();
    expect(first.errors).toEqual([]);
    expect(run()).toEqual(first);
    const ops = first.result.reduce((n, a) => n + a.ops, 0);
    expect(ops + first.ignored).toBe(records.length);
  });
});
