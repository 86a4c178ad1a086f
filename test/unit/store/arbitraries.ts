import { fc } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import type { OperationRecord } from '../../../harness/model/record.ts';

/** Field names as they occur: plain, dotted, `$`-operators, odd unicode; never `$`-wrapper look-alikes. */
const key = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('$gt', '$in', '$regex', '$options', '$type', '$set', 'a.b', 'é✓', ''),
).filter((k) => !k.startsWith('$') || !WRAPPERS.has(k));

const WRAPPERS = new Set(['$oid', '$numberInt', '$numberLong', '$numberDouble', '$numberDecimal', '$binary', '$date', '$timestamp', '$regularExpression', '$minKey', '$maxKey', '$code', '$symbol', '$dbPointer', '$undefined', '$ref', '$id', '$db']);

const long = fc.oneof(
  fc.constantFrom(BSON.Long.MAX_VALUE, BSON.Long.MIN_VALUE, BSON.Long.ZERO, BSON.Long.NEG_ONE, BSON.Long.fromBigInt(2n ** 53n + 1n)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((b) => BSON.Long.fromBigInt(b)),
);

const double = fc.oneof(
  fc.double(),
  fc.constantFrom(0, -0, 1, 1e21, -1e-300, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity, 2 ** 53 + 2),
);

const decimal = fc.oneof(
  fc.constantFrom('0', '-0', '1.50', 'NaN', 'Infinity', '-Infinity', '9.999999999999999999999999999999999E+6144', '1E-6176'),
  fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 34n - 1n }), fc.integer({ min: -6176, max: 6111 }), fc.boolean()).map(
    ([c, e, neg]) => `${neg ? '-' : ''}${c}E${e}`,
  ),
).map((s) => BSON.Decimal128.fromString(s));

const binary = fc
  .tuple(fc.uint8Array({ maxLength: 24 }), fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 8, 0x80, 0xff))
  .map(([bytes, sub]) => (sub === 4 || sub === 3 ? new BSON.Binary(new Uint8Array(16).map((_, i) => bytes[i] ?? i), sub) : new BSON.Binary(bytes, sub)));

const regexOptions = fc.subarray(['i', 'l', 'm', 's', 'u', 'x']).map((o) => o.join(''));

/** Dates within JS's range, including before 1970. */
const date = fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms));

/**
 * Every number is a typed value (Int32, Double, Long, Decimal128), never a plain JS
 * number: a plain number's BSON type depends on its value (int32 when integral and in
 * range, else double, while canonical EJSON writes $numberLong beyond int32), so
 * "type for type" properties would compare different types.
 */
export const bsonScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((n) => new BSON.Int32(n)),
  double.map((d) => new BSON.Double(d)),
  long,
  decimal,
  fc.uint8Array({ minLength: 12, maxLength: 12 }).map((b) => new BSON.ObjectId(b)),
  date,
  binary,
  fc.tuple(fc.nat(), fc.nat()).map(([t, i]) => new BSON.Timestamp({ t: t >>> 0, i: i >>> 0 })),
  fc.tuple(fc.string().filter((s) => !s.includes('\0')), regexOptions).map(([p, o]) => new BSON.BSONRegExp(p, o)),
  fc.constant(new BSON.MinKey()),
  fc.constant(new BSON.MaxKey()),
  fc.string().map((c) => new BSON.Code(c)),
);

const { doc } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, bsonScalar, tie('doc'), tie('array')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  doc: fc.dictionary(key.filter((k) => !k.includes('\0')), tie('value'), { maxKeys: 5 }),
}));

/** A BSON document of the driver's classes, nested arrays and documents included. */
export const bsonDocument = doc as fc.Arbitrary<Record<string, unknown>>;

export const operationRecord: fc.Arbitrary<OperationRecord> = fc.record(
  {
    seq: fc.nat(),
    t: fc.integer({ min: -1e15, max: 4e15 }),
    dur: fc.option(fc.nat(), { nil: null }),
    conn: fc.string({ minLength: 1, maxLength: 10 }),
    client: fc.constant('127.0.0.1:50000'),
    app: fc.string({ maxLength: 8 }),
    db: fc.string({ maxLength: 8 }),
    coll: fc.string({ maxLength: 8 }),
    cmd: fc.constantFrom('find', 'insert', 'findAndModify', 'aggregate', 'getMore'),
    op: fc.constantFrom('OP_MSG', 'OP_QUERY'),
    command: bsonDocument,
    reply: fc.oneof(
      bsonDocument.map((d) => ({ mode: 'full' as const, doc: d })),
      fc.record({ mode: fc.constant('digest' as const), hash: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 64 }), count: fc.nat() }),
    ),
    replySize: fc.nat(),
    error: fc.record({ code: fc.integer(), codeName: fc.string(), message: fc.string() }, { requiredKeys: [] }),
    stats: fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.integer(), fc.string(), fc.boolean()), { maxKeys: 3 }),
    notReplayable: fc.constantFrom('truncated', 'parse-error'),
  },
  { requiredKeys: ['seq', 't', 'dur', 'conn', 'db', 'cmd', 'op', 'command'] },
) as fc.Arbitrary<OperationRecord>;

/** Type-for-type equality: the BSON bytes of both, field order included. */
export function bsonBytes(doc: unknown): string {
  return Buffer.from(BSON.serialize({ v: doc } as BSON.Document)).toString('hex');
}
