import { fc, test as propTest } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { shapeOf, shapeTextByTree } from '../../../harness/model/shape.ts';

describe('shapeOf', () => {
  it('replaces literals by their types and keeps operators, sort and projection', () => {
    const shape = shapeOf({
      find: 'jobs',
      filter: { status: 'pending', priority: { $gte: new BSON.Int32(3) }, companyId: new BSON.ObjectId() },
      sort: { priority: -1, createdAt: 1 },
      projection: { _id: 0, name: 1 },
      limit: 10,
      $db: 'prod',
      lsid: { id: new BSON.Binary(Buffer.alloc(16), 4) },
    });
    expect(JSON.parse(shape.text)).toEqual({
      find: 'jobs',
      filter: { status: 'string', priority: { $gte: 'int' }, companyId: 'objectId' },
      sort: { priority: -1, createdAt: 1 },
      projection: { _id: 0, name: 1 },
      limit: 'int',
    });
    expect(shape.id).toMatch(/^[0-9a-f]{12}$/);
  });

  it('gives one shape to $in lists of any length and to write batches of any size', () => {
    const a = shapeOf({ find: 'u', filter: { _id: { $in: [1, 2, 3] } } });
    const b = shapeOf({ find: 'u', filter: { _id: { $in: [7] } } });
    expect(a.id).toBe(b.id);
    const one = shapeOf({ insert: 'u', documents: [{ a: 1, b: 'x' }] });
    const many = shapeOf({ insert: 'u', documents: [{ a: 2, b: 'y' }, { a: 3, b: 'z' }] });
    expect(one.id).toBe(many.id);
  });

  it('keeps every stage of a pipeline and every branch of $or', () => {
    const a = shapeOf({ aggregate: 'o', pipeline: [{ $match: { a: 1 } }, { $group: { _id: '$c', n: { $sum: 1 } } }] });
    const b = shapeOf({ aggregate: 'o', pipeline: [{ $match: { a: 1 } }] });
    expect(a.id).not.toBe(b.id);
    const or2 = shapeOf({ find: 'u', filter: { $or: [{ a: 1 }, { b: 2 }] } });
    const or1 = shapeOf({ find: 'u', filter: { $or: [{ a: 1 }] } });
    expect(or2.id).not.toBe(or1.id);
  });

  it('keeps field paths of aggregation expressions and the option flags of writes', () => {
    const sumAmount = shapeOf({ aggregate: 'o', pipeline: [{ $group: { _id: '$company', total: { $sum: '$amount' } } }] });
    const sumQty = shapeOf({ aggregate: 'o', pipeline: [{ $group: { _id: '$company', total: { $sum: '$qty' } } }] });
    expect(sumAmount.id).not.toBe(sumQty.id);
    expect(JSON.parse(sumAmount.text).pipeline[0].$group.total.$sum).toBe('$amount');
    // In a find filter a '$'-string is a literal like any other.
    expect(shapeOf({ find: 'u', filter: { a: '$x' } }).id).toBe(shapeOf({ find: 'u', filter: { a: 'y' } }).id);
    const claim = (upsert: boolean) => ({ findAndModify: 'jobs', query: { s: 'p' }, update: { $set: { s: 'r' } }, new: true, upsert });
    expect(shapeOf(claim(true)).id).not.toBe(shapeOf(claim(false)).id);
    const upd = (upsert: boolean) => ({ update: 'c', updates: [{ q: { a: 1 }, u: { $set: { b: 2 } }, upsert, multi: false }] });
    expect(shapeOf(upd(true)).id).not.toBe(shapeOf(upd(false)).id);
    expect(JSON.parse(shapeOf(upd(true)).text).updates[0]).toEqual({ q: { a: 'int' }, u: { $set: { b: 'int' } }, upsert: true, multi: false });
  });

  it('tells apart collections, operators and value types', () => {
    const base = shapeOf({ find: 'u', filter: { a: 1 } });
    expect(shapeOf({ find: 'v', filter: { a: 1 } }).id).not.toBe(base.id);
    expect(shapeOf({ find: 'u', filter: { a: { $gt: 1 } } }).id).not.toBe(base.id);
    expect(shapeOf({ find: 'u', filter: { a: 'x' } }).id).not.toBe(base.id);
    expect(shapeOf({ find: 'u', filter: { a: BSON.Long.fromNumber(1) } }).id).not.toBe(base.id);
  });

  const literal = fc.oneof(
    fc.integer({ min: -1000, max: 1000 }),
    fc.string({ maxLength: 12 }),
    fc.boolean(),
    fc.date({ noInvalidDate: true }),
  );
  propTest.prop([literal, literal])('a changed literal of the same type never changes the shape id', (x, y) => {
    fc.pre(typeof x === typeof y && x instanceof Date === y instanceof Date);
    const cmd = (v: unknown) => ({ find: 'jobs', filter: { status: v, n: { $lt: v } }, $db: 'p' });
    expect(shapeOf(cmd(x)).id).toBe(shapeOf(cmd(y)).id);
  });

  propTest.prop([fc.jsonValue()])('never throws on any JSON-like command body', (value) => {
    expect(shapeOf({ find: 'x', filter: value as BSON.Document }).id).toHaveLength(12);
  });

  // The text is written in one walk; its definition is JSON.stringify of the abstracted tree.
  const keyName = fc.constantFrom('a', 'b', '_id', '0', '7', 'x"y', 'é', '$in', '$expr', 'sort', 'projection', 'pipeline', 'documents', 'updates', 'upsert', 'multi', 'new', 'batchSize', 'collection', '$db', '__proto__', 'findAndModify');
  const bsonLiteral = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.string({ maxLength: 6 }),
    fc.constantFrom('$a', '$$v', '$'),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.date(),
    fc.integer().map((n) => new BSON.Int32(n)),
    fc.double().map((n) => new BSON.Double(n)),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => BSON.Long.fromBigInt(n)),
    fc.constantFrom(BSON.Decimal128.fromString('1.5'), new BSON.ObjectId('5f0000000000000000000001'), new BSON.Binary(Buffer.from('ab')), new BSON.MinKey(), /re/),
  );
  /** A document with own properties in the given order, `__proto__` included as an own key. */
  const docOf = (entries: [string, unknown][]): Record<string, unknown> => {
    const d: Record<string, unknown> = {};
    for (const [k, v] of entries) Object.defineProperty(d, k, { value: v, enumerable: true, writable: true, configurable: true });
    return d;
  };
  const { value: anyValue } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, bsonLiteral, fc.array(fc.tuple(keyName, tie('value')), { maxLength: 4 }).map(docOf), fc.array(tie('value'), { maxLength: 4 }), fc.sparseArray(tie('value'), { maxLength: 3 })),
  }));
  const commandName = fc.constantFrom('find', 'findandmodify', 'findAndModify', 'aggregate', 'insert', 'update', 'getMore', '__proto__', '5');
  propTest.prop([commandName, fc.oneof(fc.string({ maxLength: 4 }), bsonLiteral), fc.array(fc.tuple(keyName, anyValue), { maxLength: 6 })], { numRuns: 400 })(
    'writes the same text as the abstracted tree stringified, for any command',
    (name, arg, rest) => {
      const command = docOf([[name, arg], ...rest]);
      expect(shapeOf(command).text).toBe(shapeTextByTree(command));
    },
  );

  it('gives a shape met before the same id and text without taking them again', () => {
    const a = shapeOf({ find: 'u', filter: { a: new BSON.Int32(1) } });
    const b = shapeOf({ find: 'u', filter: { a: new BSON.Int32(2) } });
    expect(b).toEqual(a);
    expect(shapeOf({ find: 'u', filter: { a: 'x' } }).id).not.toBe(a.id);
  });
});
