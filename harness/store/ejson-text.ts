import { BSON } from 'mongodb';
import { decimalToString } from './decimal.ts';

/**
 * Canonical Extended JSON text (EJSON spec v2, canonical mode) written in one walk over
 * the BSON values: no wrapper-object tree, no JSON.stringify of the whole document.
 * Strings and keys go out as they are when nothing in them needs escaping (the common
 * case: field names, ids, enum-like values); JSON.stringify is the fallback for the
 * rest, so escaping stays exactly JSON's (pino's `asString` habit).
 *
 * The text is the same as `JSON.stringify(toCanonical(value))` (the reference serialiser in test/helpers/ejson-tree.ts),
 * character for character: property tests in test/unit/store/ejson-text.test.ts.
 * Rare types (Code, Symbol, DBPointer, DBRef, …) go through the driver library.
 */
export function canonicalText(value: unknown): string | undefined {
  const out: string[] = [];
  return appendCanonical(value, out) ? out.join('') : undefined;
}

/**
 * Appends the canonical text of `value` to `out` as pieces; false (nothing appended)
 * for undefined and functions. Pieces and one `join('')` per line, not `+=`: a string
 * grown by `+=` is a rope V8 must flatten when the batch is joined, and that flatten
 * cost more than the serialising itself (profiled: `flush` 26 % of the write path).
 */
export function appendCanonical(value: unknown, out: string[]): boolean {
  switch (typeof value) {
    case 'string':
      out.push(quote(value));
      return true;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return true;
    case 'number':
      out.push(numberText(value));
      return true;
    case 'bigint':
      out.push('{"$numberLong":"', value.toString(), '"}');
      return true;
    case 'object':
      break;
    default:
      // undefined, functions, symbols: skipped in documents, null in arrays (BSON's rule).
      return false;
  }
  if (value === null) {
    out.push('null');
    return true;
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      if (!appendCanonical(value[i], out)) out.push('null');
    }
    out.push(']');
    return true;
  }
  const bsontype = (value as { _bsontype?: unknown })._bsontype;
  if (typeof bsontype === 'string') out.push(bsonText(bsontype, value));
  else if (value instanceof Date) out.push(dateText(value));
  else if (value instanceof RegExp) out.push(regexText(value.source, value.flags));
  else if (value instanceof Uint8Array) out.push(binaryText(value, 0));
  else appendDocument(value as Record<string, unknown>, out);
  return true;
}

function appendDocument(doc: Record<string, unknown>, out: string[]): void {
  out.push('{');
  let first = true;
  for (const key in doc) {
    if (!Object.prototype.hasOwnProperty.call(doc, key)) continue;
    const v = doc[key];
    // Skipped values (undefined, functions) must not leave their key behind.
    const t = typeof v;
    if (t === 'undefined' || t === 'function' || t === 'symbol') continue;
    out.push(first ? quoteKey(key) : `,${quoteKey(key)}`);
    first = false;
    appendCanonical(v, out);
  }
  out.push('}');
}

/** `"key":` */
export function quoteKey(key: string): string {
  return `${quote(key)}:`;
}

/** Longer strings are checked with one regex run; shorter with a char loop (no regex setup). */
const LOOP_LIMIT = 40;
// What JSON.stringify escapes: '"', '\', control characters, and lone surrogates
// (well-formed JSON.stringify, ES2019). Any surrogate sends the string to the fallback.
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string literal, identical to JSON.stringify(s). */
export function quote(s: string): string {
  if (s.length < LOOP_LIMIT) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
    }
    return `"${s}"`;
  }
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** A plain JS number: int32 when it is one, double otherwise (BSON's serializer rule). */
function numberText(n: number): string {
  if ((n | 0) === n && !Object.is(n, -0)) return `{"$numberInt":"${n}"}`;
  return `{"$numberDouble":"${doubleText(n)}"}`;
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

function dateText(d: Date): string {
  const ms = d.getTime();
  // An invalid Date has no BSON form; BSON writes it as 0 ms, so do we.
  return `{"$date":{"$numberLong":"${Number.isNaN(ms) ? 0 : ms}"}}`;
}

function regexText(pattern: string, flags: string): string {
  // Canonical options are sorted alphabetically (EJSON spec, Regular Expression).
  const options = flags.length < 2 ? flags : [...flags].sort().join('');
  return `{"$regularExpression":{"pattern":${quote(pattern)},"options":${quote(options)}}}`;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function binaryText(bytes: Uint8Array, subType: number): string {
  const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return `{"$binary":{"base64":"${base64}","subType":"${HEX[subType & 0xff]}"}}`;
}

function bsonText(bsontype: string, value: object): string {
  switch (bsontype) {
    case 'Int32':
      return `{"$numberInt":"${(value as BSON.Int32).value}"}`;
    case 'Double':
      return `{"$numberDouble":"${doubleText((value as BSON.Double).value)}"}`;
    case 'Long':
      return `{"$numberLong":"${(value as BSON.Long).toString()}"}`;
    case 'ObjectId':
      return `{"$oid":"${(value as BSON.ObjectId).toHexString()}"}`;
    case 'Decimal128':
      return `{"$numberDecimal":"${decimalToString(value as BSON.Decimal128)}"}`;
    case 'Binary': {
      const bin = value as BSON.Binary;
      return binaryText(bin.buffer.subarray(0, bin.position), bin.sub_type);
    }
    case 'Timestamp': {
      const ts = value as BSON.Timestamp;
      return `{"$timestamp":{"t":${ts.high >>> 0},"i":${ts.low >>> 0}}}`;
    }
    case 'BSONRegExp': {
      const re = value as BSON.BSONRegExp;
      return regexText(re.pattern, re.options);
    }
    case 'MinKey':
      return '{"$minKey":1}';
    case 'MaxKey':
      return '{"$maxKey":1}';
    default:
      // Code, CodeWScope, BSONSymbol, DBRef, DBPointer, and anything newer: the library's
      // canonical form, exact by definition.
      return JSON.stringify(BSON.EJSON.serialize(value as BSON.Document, { relaxed: false }));
  }
}
