import { fc, test } from '@fast-check/vitest';
import { BSON, type Document } from 'mongodb';
import { describe, expect } from 'vitest';
import { CompatError, WireProtocolError } from '../../../harness/errors.ts';
import { bsonElement, buildOpMsg, buildOpMsgCommand, MAX_MESSAGE_SIZE, OP_CODES, parseMessage, type OpMsg } from '../../../harness/wire/index.ts';
import { bsonArb, documentArb } from '../../helpers/wire-arbitraries.ts';

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
// documentArb's keys never start with '$', so these names cannot collide with the document's.
const elementsArb = fc.uniqueArray(
  fc.record({ name: fc.stringMatching(/^\$[a-zA-Z]{0,6}$/), value: fc.oneof(fc.string({ maxLength: 12 }), documentArb, fc.constant(null)) }),
  { selector: (e) => e.name, maxLength: 3 },
);

/** Random bytes, or a serialised document with one byte overwritten (often still framed). */
const garbageDocArb = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.tuple(bsonArb, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([bytes, at, value]) => {
    const copy = Buffer.from(bytes);
    copy[at % copy.length] = value;
    return copy;
  }),
);

function bytesOf(doc: Document): Buffer {
  return Buffer.from(BSON.serialize(doc));
}

describe('buildOpMsgCommand: an OP_MSG command request from pre-serialised pieces', () => {
  test.prop([int32, documentArb, elementsArb])('is byte for byte the OP_MSG buildOpMsg writes for the document with the elements as its last fields', (requestId, doc, elements) => {
    const message = buildOpMsgCommand(requestId, BSON.serialize(doc), elements.map((e) => bsonElement(e.name, e.value)));
    // The reference serialises the whole body at once, like to like (same JS values, same BSON types).
    const whole = bytesOf(Object.fromEntries([...Object.entries(doc), ...elements.map((e) => [e.name, e.value] as const)]));
    expect(message).toEqual(Buffer.concat(buildOpMsg({ requestId, sections: [{ kind: 0, body: whole }] })));
  });

  test.prop([int32, documentArb, elementsArb])('parses back to a request with its id, flags 0 and one body holding the document then the elements', (requestId, doc, elements) => {
    const message = buildOpMsgCommand(requestId, BSON.serialize(doc), elements.map((e) => bsonElement(e.name, e.value)));
    const parsed = parseMessage(message) as OpMsg;
    expect(parsed).not.toBeInstanceOf(WireProtocolError);
    expect(parsed.header).toEqual({ messageLength: message.length, requestId, responseTo: 0, opCode: OP_CODES.OP_MSG });
    expect(parsed.flags).toBe(0);
    expect(parsed.sections).toHaveLength(1);
    const body = parsed.sections[0]!;
    if (body.kind !== 0) throw new Error('body section expected');
    const back = BSON.deserialize(body.body, { promoteValues: false });
    expect(Object.keys(back)).toEqual([...Object.keys(doc), ...elements.map((e) => e.name)]);
  });

  test('with no elements the body is the document itself', () => {
    const doc = BSON.serialize({ ping: 1, $db: 'admin' });
    const message = buildOpMsgCommand(7, doc);
    expect(message.subarray(21)).toEqual(Buffer.from(doc));
    expect(message.length).toBe(16 + 4 + 1 + doc.length);
  });

  test.prop([int32, documentArb, fc.nat(), fc.nat()])('a document whose framing is cut or lengthened is a WireProtocolError', (requestId, doc, cut, extra) => {
    const bytes = bytesOf(doc);
    const short = bytes.subarray(0, cut % bytes.length);
    expect(() => buildOpMsgCommand(requestId, short)).toThrow(WireProtocolError);
    const long = Buffer.concat([bytes, Buffer.alloc(1 + (extra % 8))]);
    expect(() => buildOpMsgCommand(requestId, long)).toThrow(WireProtocolError);
  });

  test('an empty element or one with a 0 type byte is a WireProtocolError', () => {
    const doc = BSON.serialize({ ping: 1 });
    expect(() => buildOpMsgCommand(1, doc, [Buffer.alloc(0)])).toThrow(WireProtocolError);
    expect(() => buildOpMsgCommand(1, doc, [Buffer.from([0, 0x61, 0])])).toThrow(WireProtocolError);
  });

  test('a message larger than the framer accepts is a WireProtocolError', () => {
    const big = Buffer.alloc(MAX_MESSAGE_SIZE);
    big.writeInt32LE(big.length, 0);
    expect(() => buildOpMsgCommand(1, big)).toThrow(/exceed/);
  });

  test.prop([int32, garbageDocArb, fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 3 })])(
    'garbage pieces give a message the codec parses back, or a CompatError, nothing else',
    (requestId, doc, elements) => {
      let message: Buffer;
      try {
        message = buildOpMsgCommand(requestId, doc, elements);
      } catch (err) {
        expect(err).toBeInstanceOf(CompatError);
        return;
      }
      expect(message.readInt32LE(0)).toBe(message.length);
      expect(message.readInt32LE(21)).toBe(message.length - 21);
      expect(message[message.length - 1]).toBe(0);
      expect(parseMessage(message)).not.toBeInstanceOf(WireProtocolError);
    },
  );
});

describe('bsonElement', () => {
  test.prop([fc.stringMatching(/^[^\0]{0,10}$/), fc.oneof(fc.string({ maxLength: 12 }), documentArb, fc.boolean(), fc.constant(null))])(
    'is the one field of a one-field document, without the document framing',
    (name, value) => {
      const doc = bytesOf({ [name]: value });
      expect(bsonElement(name, value)).toEqual(doc.subarray(4, doc.length - 1));
    },
  );

  test('a name with a NUL byte, a circular value or a value that serialises to nothing is a WireProtocolError', () => {
    expect(() => bsonElement('a\0b', 1)).toThrow(WireProtocolError);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => bsonElement('c', circular)).toThrow(WireProtocolError);
    expect(() => bsonElement('f', () => 1)).toThrow(WireProtocolError);
  });

  test.prop([fc.string({ maxLength: 6 }), fc.anything({ withBigInt: true, withBoxedValues: true, withMap: true, withSet: true, withTypedArray: true, withDate: true, withNullPrototype: true })])(
    'any value gives element bytes or a CompatError, nothing else',
    (name, value) => {
      let element: Buffer;
      try {
        element = bsonElement(name, value);
      } catch (err) {
        expect(err).toBeInstanceOf(CompatError);
        return;
      }
      expect(element.length).toBeGreaterThanOrEqual(2);
      expect(element[0]).not.toBe(0);
    },
  );
});
