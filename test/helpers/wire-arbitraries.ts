import fc from 'fast-check';
import { BSON, type Document } from 'mongodb';
import { buildLegacy, buildOpMsg, MSG_FLAGS, OP_CODES, type LegacyInput, type MsgSection } from '../../harness/wire/index.ts';

/** Generators of valid wire messages for the codec's property tests. */

const key = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !k.includes('\0') && !k.startsWith('$'));
/**
 * Numbers are typed (Int32, Double, Long), never plain JS numbers: a plain number's BSON
 * type depends on its value (BSON stores an integral one as int32 when it fits, else as
 * a double, while canonical EJSON writes $numberLong beyond int32), so a property
 * comparing two encodings of one plain number would compare different types.
 */
const leaf = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((n) => new BSON.Int32(n)),
  fc.double({ noNaN: true }).map((d) => new BSON.Double(d)),
  fc.string({ maxLength: 12 }),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((b) => BSON.Long.fromBigInt(b)),
);
export const documentArb: fc.Arbitrary<Document> = fc.letrec((tie) => ({
  doc: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, leaf, tie('doc'), fc.array(leaf, { maxLength: 3 })), { maxKeys: 5 }),
})).doc as fc.Arbitrary<Document>;

export const bsonArb = documentArb.map((d) => Buffer.from(BSON.serialize(d)));
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const ns = fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), fc.stringMatching(/^[a-z$]{1,6}$/)).map(([d, c]) => `${d}.${c}`);

export const opMsgArb = fc
  .record({
    requestId: int32,
    responseTo: int32,
    checksum: fc.boolean(),
    moreToCome: fc.boolean(),
    exhaust: fc.boolean(),
    body: bsonArb,
    before: fc.array(fc.record({ identifier: fc.stringMatching(/^[a-z]{1,8}$/), documents: fc.array(bsonArb, { maxLength: 3 }) }), { maxLength: 2 }),
    after: fc.array(fc.record({ identifier: fc.stringMatching(/^[a-z]{1,8}$/), documents: fc.array(bsonArb, { maxLength: 3 }) }), { maxLength: 2 }),
  })
  .map((r) => {
    const flags = (r.checksum ? MSG_FLAGS.CHECKSUM_PRESENT : 0) | (r.moreToCome ? MSG_FLAGS.MORE_TO_COME : 0) | (r.exhaust ? MSG_FLAGS.EXHAUST_ALLOWED : 0);
    const sections: MsgSection[] = [
      ...r.before.map((s) => ({ kind: 1 as const, ...s })),
      { kind: 0 as const, body: r.body },
      ...r.after.map((s) => ({ kind: 1 as const, ...s })),
    ];
    return { requestId: r.requestId, responseTo: r.responseTo, flags: flags >>> 0, sections };
  });

export const legacyArb: fc.Arbitrary<LegacyInput> = fc.oneof(
  fc.record({ requestId: int32, opCode: fc.constant(OP_CODES.OP_QUERY), flags: int32, fullCollectionName: ns, numberToSkip: int32, numberToReturn: int32, query: bsonArb }),
  fc.record({ requestId: int32, responseTo: int32, opCode: fc.constant(OP_CODES.OP_REPLY), responseFlags: int32, cursorId: int64, startingFrom: int32, documents: fc.array(bsonArb, { maxLength: 3 }) }),
  fc.record({ requestId: int32, opCode: fc.constant(OP_CODES.OP_GET_MORE), fullCollectionName: ns, numberToReturn: int32, cursorId: int64 }),
  fc.record({ requestId: int32, opCode: fc.constant(OP_CODES.OP_INSERT), flags: int32, fullCollectionName: ns, documents: fc.array(bsonArb, { maxLength: 3 }) }),
  fc.record({ requestId: int32, opCode: fc.constant(OP_CODES.OP_UPDATE), fullCollectionName: ns, flags: int32, selector: bsonArb, update: bsonArb }),
  fc.record({ requestId: int32, opCode: fc.constant(OP_CODES.OP_DELETE), fullCollectionName: ns, flags: int32, selector: bsonArb }),
  fc.record({ requestId: int32, opCode: fc.constant(OP_CODES.OP_KILL_CURSORS), cursorIds: fc.array(int64, { maxLength: 4 }) }),
) as fc.Arbitrary<LegacyInput>;

/** Any valid message as one buffer. */
export const messageBytesArb = fc.oneof(opMsgArb.map((m) => Buffer.concat(buildOpMsg(m))), legacyArb.map((m) => Buffer.concat(buildLegacy(m))));
