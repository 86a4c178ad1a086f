import { fc } from '@fast-check/vitest';
import { BSON } from 'mongodb';

/** BSON values as the driver reads them with promoteValues: false. */
export const key = fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,6}$/);

export const leaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((n) => new BSON.Int32(n)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => BSON.Long.fromBigInt(n)),
  fc.double({ noNaN: true }).map((n) => new BSON.Double(n)),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ minLength: 12, maxLength: 12 }).map((b) => new BSON.ObjectId(Buffer.from(b))),
  fc.date({ noInvalidDate: true }),
);

export const bsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown; doc: Record<string, unknown>; arr: unknown[] }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('doc'), tie('arr')),
  doc: fc.uniqueArray(fc.tuple(key, tie('value')), { maxLength: 5, selector: (e) => e[0] }).map((entries) => Object.fromEntries(entries)),
  arr: fc.array(tie('value'), { maxLength: 4 }),
})).value;

export const bsonDoc: fc.Arbitrary<Record<string, unknown>> = fc
  .uniqueArray(fc.tuple(key, bsonValue), { maxLength: 6, selector: (e) => e[0] })
  .map((entries) => Object.fromEntries(entries));
