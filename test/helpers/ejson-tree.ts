import { BSON } from 'mongodb';

/**
 * A reference serialiser kept for tests: canonical Extended JSON built as a tree of
 * wrapper objects and written by JSON.stringify. The store writes with
 * harness/model/ejson/text.ts (one walk straight to text); the tests check that both
 * give the same characters and that the reader revives either exactly.
 *
 * Canonical Extended JSON (EJSON spec v2, "canonical mode") without the library.
 *
 * Why not `BSON.EJSON.stringify(v, { relaxed: false })`: on a 1 KiB command it manages
 * about 75k docs/s (research/ecosystem.md), below the store's 100k rec/s target before
 * compression is even counted. Here the common types map straight to their wrapper
 * objects and V8's native JSON.stringify writes the text: measured 1.3–1.7x faster per
 * CPU-second than building the string by hand with `+=` (whose rope strings cost a
 * flatten and much garbage when batches are joined). Rare types (Code, Symbol,
 * DBPointer, undefined, …) go through the library so they stay exactly as specified.
 */
export function stringifyCanonical(value: unknown): string {
  return JSON.stringify(toCanonical(value));
}

/** The JSON-ready canonical EJSON tree of a value (plain objects, arrays, strings, booleans, null). */
export function toCanonical(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return numberWrapper(value);
    case 'bigint':
      return { $numberLong: value.toString() };
    case 'object':
      break;
    default:
      // undefined and functions: BSON's serializer skips such fields and writes null in
      // arrays; JSON.stringify does the same with undefined.
      return undefined;
  }
  if (value === null) return null;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = toCanonical(value[i]);
      out[i] = item === undefined ? null : item;
    }
    return out;
  }
  const bsontype = (value as { _bsontype?: unknown })._bsontype;
  if (typeof bsontype === 'string') return bsonWrapper(bsontype, value);
  if (value instanceof Date) return { $date: { $numberLong: dateMillis(value) } };
  if (value instanceof RegExp) return regexWrapper(value.source, value.flags);
  if (value instanceof Uint8Array) return binaryWrapper(value, 0);
  const doc = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key in doc) {
    if (!Object.prototype.hasOwnProperty.call(doc, key)) continue;
    const v = toCanonical(doc[key]);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** A plain JS number becomes int32 when it is one, double otherwise: BSON's own rule. */
function numberWrapper(n: number): object {
  if (Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 && !Object.is(n, -0)) return { $numberInt: String(n) };
  return { $numberDouble: doubleText(n) };
}

/** EJSON spec: integral doubles keep a ".0"; -0 is "-0.0"; the non-finite are spelled out. */
function doubleText(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (Object.is(n, -0)) return '-0.0';
  const s = String(n);
  return Number.isInteger(n) && !s.includes('e') ? `${s}.0` : s;
}

function dateMillis(d: Date): string {
  const ms = d.getTime();
  // An invalid Date has no BSON form; BSON writes it as 0 ms, so do we.
  return Number.isNaN(ms) ? '0' : String(ms);
}

function regexWrapper(pattern: string, flags: string): object {
  // Canonical options are sorted alphabetically (EJSON spec, Regular Expression).
  return { $regularExpression: { pattern, options: [...flags].sort().join('') } };
}

function binaryWrapper(bytes: Uint8Array, subType: number): object {
  const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return { $binary: { base64, subType: subType.toString(16).padStart(2, '0') } };
}

function bsonWrapper(bsontype: string, value: object): unknown {
  switch (bsontype) {
    case 'Int32':
      return { $numberInt: String((value as BSON.Int32).value) };
    case 'Double':
      return { $numberDouble: doubleText((value as BSON.Double).value) };
    case 'Long':
      return { $numberLong: (value as BSON.Long).toString() };
    case 'ObjectId':
      return { $oid: (value as BSON.ObjectId).toHexString() };
    case 'Decimal128':
      return { $numberDecimal: (value as BSON.Decimal128).toString() };
    case 'Binary': {
      const bin = value as BSON.Binary;
      return binaryWrapper(bin.buffer.subarray(0, bin.position), bin.sub_type);
    }
    case 'Timestamp': {
      const ts = value as BSON.Timestamp;
      return { $timestamp: { t: ts.high >>> 0, i: ts.low >>> 0 } };
    }
    case 'BSONRegExp': {
      const re = value as BSON.BSONRegExp;
      return regexWrapper(re.pattern, re.options);
    }
    case 'MinKey':
      return { $minKey: 1 };
    case 'MaxKey':
      return { $maxKey: 1 };
    default:
      // Code, CodeWScope, BSONSymbol, DBRef, DBPointer, and anything newer: the library's
      // canonical form, exact by definition.
      return BSON.EJSON.serialize(value as BSON.Document, { relaxed: false });
  }
}
