import { fc, test as propTest } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { reviveCanonical } from '../../../../harness/model/ejson/read.ts';
import { stringifyCanonical } from '../../../helpers/ejson-tree.ts';
import { bsonBytes, bsonDocument } from '../../store/arbitraries.ts';

describe('canonical EJSON codec', () => {
  propTest.prop([bsonDocument], { numRuns: 400 })('round-trips any document type for type', (doc) => {
    const back = reviveCanonical(JSON.parse(stringifyCanonical(doc)));
    expect(bsonBytes(back)).toBe(bsonBytes(doc));
  });

  propTest.prop([bsonDocument], { numRuns: 200 })('writes what the driver library reads as the same BSON', (doc) => {
    const text = stringifyCanonical(doc);
    // The library also reads legacy `$regex`/`$type` forms, so query operators of those
    // names are not comparable there (our reader keeps them as documents: see below).
    fc.pre(!/"\$(regex|options|type)"/.test(text));
    const viaLibrary = BSON.EJSON.parse(text, { relaxed: false });
    expect(bsonBytes(viaLibrary)).toBe(bsonBytes(doc));
  });

  propTest.prop([bsonDocument], { numRuns: 200 })('reads what the driver library writes', (doc) => {
    const back = reviveCanonical(JSON.parse(BSON.EJSON.stringify(doc, { relaxed: false })));
    expect(bsonBytes(back)).toBe(bsonBytes(doc));
  });

  it('keeps query operators that look like legacy EJSON as plain documents', () => {
    const doc = { name: { $regex: 'ab', $options: 'i' }, kind: { $type: 'string' }, b: { $binary: 'AA==', $type: '00' } };
    const back = reviveCanonical(JSON.parse(stringifyCanonical(doc)));
    expect(back).toEqual(doc);
  });

  it('writes plain JS numbers as BSON would store them: int32 when they fit, else double', () => {
    expect(stringifyCanonical({ a: 5, b: 2 ** 31, c: 1.5, d: -0, e: 3n })).toBe(
      '{"a":{"$numberInt":"5"},"b":{"$numberDouble":"2147483648.0"},"c":{"$numberDouble":"1.5"},"d":{"$numberDouble":"-0.0"},"e":{"$numberLong":"3"}}',
    );
  });

  it('refuses malformed wrappers with an error instead of guessing', () => {
    for (const bad of ['{"$numberInt":"1.5"}', '{"$numberLong":"99999999999999999999"}', '{"$oid":"xyz"}', '{"$timestamp":{"t":-1,"i":0}}']) {
      expect(() => reviveCanonical(JSON.parse(bad))).toThrow();
    }
  });

  /** Near-canonical scalar text: what the reader's own fast paths (hex, integers, dates) must treat as the library does. */
  const hexish = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFgx-'), minLength: 22, maxLength: 26 });
  const intish = fc.oneof(
    fc.integer().map(String),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
    fc.integer({ min: -8.64e15, max: 8.64e15 }).map(String),
  );

  propTest.prop([hexish], { numRuns: 1000 })("revives $oid as the library's ObjectId, or refuses what the library refuses", (hex) => {
    let expected: string | undefined;
    try {
      expected = hex.length === 24 ? new BSON.ObjectId(hex).toHexString() : undefined;
    } catch {
      expected = undefined;
    }
    if (expected === undefined) expect(() => reviveCanonical({ $oid: hex })).toThrow();
    else expect((reviveCanonical({ $oid: hex }) as BSON.ObjectId).toHexString()).toBe(expected);
  });

  propTest.prop([intish], { numRuns: 1000 })('revives canonical $numberLong and $date digits as the library does', (text) => {
    const ours = (wrapper: object): string => {
      try {
        return bsonBytes(reviveCanonical(JSON.parse(JSON.stringify(wrapper))));
      } catch {
        return 'refused';
      }
    };
    const library = (wrapper: object): string => {
      try {
        return bsonBytes(BSON.EJSON.parse(JSON.stringify(wrapper), { relaxed: false }));
      } catch {
        return 'refused';
      }
    };
    // Canonical digits (what String() of an integer gives) must come out as the library reads them.
    fc.pre(/^-?(0|[1-9]\d*)$/.test(text) && text !== '-0');
    {
      const long = ours({ $numberLong: text });
      expect(long === 'refused' || long === library({ $numberLong: text })).toBe(true);
      if (BigInt(text) >= -(2n ** 63n) && BigInt(text) < 2n ** 63n) expect(long).toBe(library({ $numberLong: text }));
      const ms = Number(text);
      if (Math.abs(ms) <= 8.64e15) expect(ours({ $date: { $numberLong: text } })).toBe(library({ $date: { $numberLong: text } }));
    }
  });
});
