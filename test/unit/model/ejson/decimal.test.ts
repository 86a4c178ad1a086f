import { fc, test as propTest } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { decimalFromString, decimalToString } from '../../../../harness/model/ejson/decimal.ts';

const hex = (d: BSON.Decimal128): string => Buffer.from(d.bytes).toString('hex');

/** Decimal text as canonical EJSON carries it, and look-alikes around the fast path's edges. */
const decimalText = fc.oneof(
  fc
    .tuple(fc.boolean(), fc.stringMatching(/^(0|[1-9]\d{0,16})$/), fc.option(fc.stringMatching(/^\d{1,17}$/), { nil: undefined }))
    .map(([neg, int, frac]) => `${neg ? '-' : ''}${int}${frac === undefined ? '' : `.${frac}`}`),
  fc.stringMatching(/^-?\d{0,4}\.?\d{0,4}([eE][+-]?\d{1,4})?$/),
  fc.constantFrom('0', '-0', '0.0', '-0.00', '1234.50', '007', '00.5', '.5', '5.', '-', '', '1e3', 'NaN', '-Infinity', '999999999999999', '9999999999999999', '0.000000001'),
  fc.string({ maxLength: 8 }),
);

function libraryFromString(s: string): { ok: true; hex: string } | { ok: false; error: string } {
  try {
    return { ok: true, hex: hex(BSON.Decimal128.fromString(s)) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

describe('Decimal128 fast paths', () => {
  propTest.prop([decimalText], { numRuns: 3000 })('decimalFromString gives the library bytes, or its error', (s) => {
    const expected = libraryFromString(s);
    let got: typeof expected;
    try {
      got = { ok: true, hex: hex(decimalFromString(s)) };
    } catch (err) {
      got = { ok: false, error: (err as Error).message };
    }
    expect(got).toEqual(expected);
  });

  const decimal = fc.oneof(
    decimalText.filter((s) => libraryFromString(s).ok).map((s) => BSON.Decimal128.fromString(s)),
    fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 60n }), fc.integer({ min: -6176, max: 6111 }), fc.boolean()).map(([c, e, neg]) => BSON.Decimal128.fromString(`${neg ? '-' : ''}${c}E${e}`)),
    fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => new BSON.Decimal128(b)),
  );

  propTest.prop([decimal], { numRuns: 3000 })("decimalToString is the library's text", (d) => {
    expect(decimalToString(d)).toBe(d.toString());
  });

  it('round-trips the usual amounts through the fast paths', () => {
    for (const s of ['1234.50', '-0.05', '0', '-0', '100', '0.0000001', '123456789012345']) {
      expect(decimalToString(decimalFromString(s))).toBe(BSON.Decimal128.fromString(s).toString());
    }
  });
});
