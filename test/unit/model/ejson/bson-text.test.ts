import { fc, test as propTest } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { nameEquals, writeBsonAsCanonical } from '../../../../harness/model/ejson/bson-text.ts';
import { ByteSink, canonicalText } from '../../../../harness/model/ejson/text.ts';
import { decodeBsonFast } from '../../../../harness/wire/bson-fast.ts';
import { bsonDocument } from '../../store/arbitraries.ts';

/** The transcoder's text, or undefined when it gives up (then it must have written nothing). */
function transcoded(bytes: Buffer): string | undefined {
  const out = new ByteSink(Buffer.alloc(16), 3);
  const ok = writeBsonAsCanonical(bytes, out);
  if (!ok) {
    expect(out.pos).toBe(3);
    return undefined;
  }
  return out.buf.toString('utf8', 3, out.pos);
}

/** What the capture writes today: decode as the decoders do, then the one-walk text. */
function decodedText(bytes: Buffer): string | undefined {
  return canonicalText(decodeBsonFast(bytes));
}

const serialize = (doc: BSON.Document) => Buffer.from(BSON.serialize(doc));

/** Whether a document holds what the transcoder leaves to the driver (so it must give up, or may). */
function holdsRare(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return v.some(holdsRare);
  const t = (v as { _bsontype?: string })._bsontype;
  if (t === 'Code' || t === 'BSONRegExp') return true;
  if (t === 'Binary') return (v as BSON.Binary).sub_type === 2;
  if (t !== undefined) return false;
  return Object.keys(v).some((k) => /^(0|[1-9]\d{0,9})$/.test(k)) || Object.values(v).some(holdsRare);
}

describe('BSON bytes to canonical EJSON text without decoding', () => {
  propTest.prop([bsonDocument], { numRuns: 500 })('is the decoded document written out, character for character, whenever it answers', (doc) => {
    const bytes = serialize(doc);
    const text = transcoded(bytes);
    if (text !== undefined) expect(text).toBe(decodedText(bytes));
    // It answers for every document without the types it leaves to the driver.
    if (!holdsRare(doc)) expect(text).toBeDefined();
  });

  propTest.prop([bsonDocument, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat()], { numRuns: 500 })(
    'never throws on damaged bytes, and answers only where the driver reads the same',
    (doc, flips, cut) => {
      const bytes = serialize(doc);
      for (const [at, b] of flips) bytes[at % bytes.length] = b;
      const damaged = cut % 3 === 0 ? bytes.subarray(0, cut % (bytes.length + 1)) : bytes;
      const text = transcoded(Buffer.from(damaged));
      if (text === undefined) return;
      expect(text).toBe(decodedText(Buffer.from(damaged)));
    },
  );

  propTest.prop([fc.uint8Array({ maxLength: 200 })], { numRuns: 500 })('never throws on garbage', (garbage) => {
    const bytes = Buffer.from(garbage);
    const text = transcoded(bytes);
    if (text !== undefined) expect(text).toBe(decodedText(bytes));
  });

  it('answers for a find reply as servers send it', () => {
    const reply = {
      cursor: { id: BSON.Long.fromNumber(0), ns: 'shop.orders', firstBatch: [{ _id: new BSON.ObjectId(), total: new BSON.Double(12.5), at: new Date(1_700_000_000_000), tags: ['a', 'é'], n: new BSON.Int32(3) }] },
      ok: new BSON.Double(1),
      $clusterTime: { clusterTime: new BSON.Timestamp({ t: 1_700_000_000, i: 1 }), signature: { hash: new BSON.Binary(Buffer.alloc(20), 0), keyId: BSON.Long.fromNumber(0) } },
      operationTime: new BSON.Timestamp({ t: 1_700_000_000, i: 1 }),
    };
    const bytes = serialize(reply);
    expect(transcoded(bytes)).toBe(decodedText(bytes));
  });

  it('leaves to the driver what the driver reads differently from the bytes', () => {
    // A name given twice: the driver keeps the last value in the first place.
    const twice = Buffer.concat([Buffer.from([0, 0, 0, 0]), el(0x10, 'a', int32(1)), el(0x10, 'b', int32(2)), el(0x10, 'a', int32(3)), Buffer.from([0])]);
    twice.writeInt32LE(twice.length, 0);
    expect(decodedText(twice)).toBe('{"a":{"$numberInt":"3"},"b":{"$numberInt":"2"}}');
    expect(transcoded(twice)).toBeUndefined();
    // Index-like names come first in a JS object.
    const indexed = serialize({ b: new BSON.Int32(1), 2: new BSON.Int32(2) });
    expect(transcoded(indexed)).toBeUndefined();
    // A DBRef-like document.
    expect(transcoded(serialize({ r: { $ref: 'c', $id: new BSON.Int32(1) } }))).toBeUndefined();
    // Invalid UTF-8 in a string value: the driver refuses the document.
    const bad = serialize({ s: 'ab' });
    bad[bad.indexOf('ab', 0, 'latin1')] = 0xff;
    expect(() => decodeBsonFast(bad)).toThrow();
    expect(transcoded(bad)).toBeUndefined();
  });

  it('tells the top-level elements as it goes', () => {
    const seen: [string, number][] = [];
    const out = new ByteSink(Buffer.alloc(64));
    const bytes = serialize({ ok: new BSON.Double(0), errmsg: 'no', n: { x: new BSON.Int32(1) } });
    expect(writeBsonAsCanonical(bytes, out, (from, to, type) => seen.push([bytes.toString('utf8', from, to), type]))).toBe(true);
    expect(nameEquals(bytes, 5, 7, 'ok')).toBe(true);
    expect(nameEquals(bytes, 5, 7, 'on')).toBe(false);
    expect(seen).toEqual([
      ['ok', 0x01],
      ['errmsg', 0x02],
      ['n', 0x03],
    ]);
  });
});

function el(type: number, name: string, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), Buffer.from(name, 'utf8'), Buffer.from([0]), value]);
}
function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n, 0);
  return b;
}
