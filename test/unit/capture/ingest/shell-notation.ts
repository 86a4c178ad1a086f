import { BSON } from 'mongodb';
import fc from 'fast-check';

/**
 * Prints a document the way the mongo shell / mongod 4.2 do (`{ a: 1, b: "x" }`,
 * `ObjectId('…')`, `new Date(ms)`, `BinData(0, HEX)`), with `NumberLong(…)` for
 * longs so the round trip is exact. Test-only: production never prints this notation.
 */
export function printShell(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (Array.isArray(v)) return v.length === 0 ? '[]' : `[ ${v.map(printShell).join(', ')} ]`;
  if (v instanceof BSON.Int32) return String(v.value);
  if (v instanceof BSON.Double) return printDouble(v.value);
  // Timestamp extends Long in the driver's BSON: test it first.
  if (v instanceof BSON.Timestamp) return `Timestamp(${v.t}, ${v.i})`;
  if (v instanceof BSON.Long) return `NumberLong("${v.toString()}")`;
  if (v instanceof BSON.Decimal128) return `NumberDecimal("${v.toString()}")`;
  if (v instanceof BSON.ObjectId) return `ObjectId('${v.toHexString()}')`;
  if (v instanceof BSON.Binary) return `BinData(${v.sub_type}, ${Buffer.from(v.buffer.subarray(0, v.position)).toString('hex').toUpperCase()})`;
  if (v instanceof BSON.BSONRegExp) return `/${v.pattern}/${v.options}`;
  if (v instanceof BSON.MinKey) return 'MinKey';
  if (v instanceof BSON.MaxKey) return 'MaxKey';
  const entries = Object.entries(v as Record<string, unknown>);
  return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${k}: ${printShell(x)}`).join(', ')} }`;
}

function printDouble(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Object.is(n, -0)) return '-0.0';
  const s = String(n);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

const keyArb = fc.oneof(
  fc.stringMatching(/^[A-Za-z_$][\w$.]{0,8}$/),
  // Keys holding colons, as the server prints them unquoted (`urn:x:2:User: {…}`).
  fc.array(fc.stringMatching(/^[A-Za-z0-9_]{1,5}$/), { minLength: 2, maxLength: 4 }).map((p) => (/^\d/.test(p[0]!) ? `k${p.join(':')}` : p.join(':'))),
);

const scalarArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((n) => new BSON.Int32(n)),
  fc.double().map((d) => new BSON.Double(d)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((b) => BSON.Long.fromBigInt(b)),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ minLength: 12, maxLength: 12 }).map((b) => new BSON.ObjectId(Buffer.from(b))),
  fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms)),
  fc.record({ t: fc.nat({ max: 0xffffffff }), i: fc.nat({ max: 0xffffffff }) }).map((x) => new BSON.Timestamp(x)),
  fc.tuple(fc.constantFrom(0, 2, 4, 5, 128), fc.uint8Array({ maxLength: 24 })).map(([s, b]) => new BSON.Binary(Buffer.from(b), s)),
  fc.tuple(fc.stringMatching(/^[a-z0-9.*+?^$ ]{0,10}$/), fc.subarray(['i', 'm', 's', 'u', 'x'])).map(([p, f]) => new BSON.BSONRegExp(p, f.join(''))),
  fc.tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: -10, max: 10 })).map(([c, e]) => BSON.Decimal128.fromString(`${c}E${e}`)),
  fc.constant(new BSON.MinKey()),
  fc.constant(new BSON.MaxKey()),
);

/** Documents of every type the notation can carry, nested. */
export const shellDocArb: fc.Arbitrary<Record<string, unknown>> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalarArb, tie('doc'), tie('arr')),
  arr: fc.array(tie('value'), { maxLength: 4 }),
  doc: fc.dictionary(keyArb, tie('value'), { maxKeys: 5, noNullPrototype: true }),
})).doc as fc.Arbitrary<Record<string, unknown>>;
