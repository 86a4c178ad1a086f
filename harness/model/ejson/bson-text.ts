import { BSON } from 'mongodb';
import { decimalToString } from './decimal.ts';
import { doubleText, writeBinary, writeHex, writeInteger, writeKey, writeString, type ByteSink } from './text.ts';

/**
 * BSON bytes straight to canonical Extended JSON text, without the document in between:
 * the same characters as `writeCanonical(decode(bytes))`, where `decode` is the driver's
 * deserializer as the capture decoders call it (`promoteValues: false`, `bsonRegExp`,
 * strings UTF-8 validated). Recording a reply in full is decoding it and writing it out
 * again; read this way the reply is never built as objects at all (bench/pcap).
 *
 * It answers only where it is sure of that equality and gives up otherwise (returns
 * false and writes nothing), and the caller decodes as before:
 * - a malformed document (a length or terminator out of place, an unknown type);
 * - a string that is not plain printable ASCII and, decoded, holds U+FFFD (invalid
 *   UTF-8 makes the driver throw; a real U+FFFD is left to the driver too);
 * - a document with the same name twice (the driver keeps one value, in the first place),
 *   a name that decodes with U+FFFD (two such names may be one), or a name that is an
 *   array index (a JS object lists those first);
 * - a document with a `$ref` (the driver may turn it into a DBRef);
 * - the legacy and rare types: undefined, regular expression, DBPointer, code, symbol,
 *   code with scope, binary subtype 2, a boolean byte other than 0 and 1.
 * Property tests against the driver: test/unit/model/ejson/bson-text.test.ts.
 */
export function writeBsonAsCanonical(bytes: Buffer, out: ByteSink, top?: TopLevelVisitor): boolean {
  const start = out.pos;
  const n = bytes.length;
  if (n < 5 || int32(bytes, 0) !== n || bytes[n - 1] !== 0) return false;
  if (writeDocument(bytes, 0, n, out, false, 0, top) !== n) {
    out.pos = start;
    return false;
  }
  return true;
}

/**
 * Told each top-level element once it is written (its value checked whole): where its
 * name is in the bytes (nameEquals reads it), its BSON type and where its value starts
 * (what a caller needs of a reply, such as `ok`, without a decode).
 */
export type TopLevelVisitor = (nameStart: number, nameEnd: number, type: number, valueAt: number) => void;

/** Whether the name at `start`..`end` is `name` (ASCII). */
export function nameEquals(buf: Buffer, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (buf[start + i] !== name.charCodeAt(i)) return false;
  return true;
}

/** Deeper than this is given up (the driver's own recursion would be deep too). */
const MAX_DEPTH = 100;
/** Names compared pairwise up to this many per document; above, through a set. */
const PAIRWISE_NAMES = 32;

const T = Object.freeze({
  double: 0x01,
  string: 0x02,
  document: 0x03,
  array: 0x04,
  binary: 0x05,
  objectId: 0x07,
  boolean: 0x08,
  date: 0x09,
  null: 0x0a,
  int32: 0x10,
  timestamp: 0x11,
  int64: 0x12,
  decimal: 0x13,
  minKey: 0xff,
  maxKey: 0x7f,
} as const);

const TWO32 = 0x1_0000_0000;
/** ECMAScript's time range: a date outside it is an invalid Date, which the text writes as 0. */
const MAX_DATE_MS = 8.64e15;

/**
 * Writes the document (or array) whose length prefix is at `at` and returns where it
 * ends, or -1 when it gives up (the caller restores `out.pos`).
 */
function writeDocument(buf: Buffer, at: number, limit: number, out: ByteSink, isArray: boolean, depth: number, top?: TopLevelVisitor): number {
  if (depth > MAX_DEPTH || at + 5 > limit) return -1;
  const size = int32(buf, at);
  const end = at + size;
  if (size < 5 || end > limit || buf[end - 1] !== 0) return -1;
  out.byte(isArray ? 0x5b /* [ */ : 0x7b /* { */);
  let p = at + 4;
  let count = 0;
  // Name ranges of this document, to find a name given twice.
  const names: number[] | undefined = isArray ? undefined : [];
  while (p < end - 1) {
    const type = buf[p]!;
    const nameStart = p + 1;
    let q = nameStart;
    while (q < end && buf[q] !== 0) q++;
    if (q >= end - 1) return -1;
    if (names !== undefined) {
      // `$ref`: the driver may make the document a DBRef.
      if (q - nameStart === 4 && buf[nameStart] === 0x24 && buf[nameStart + 1] === 0x72 && buf[nameStart + 2] === 0x65 && buf[nameStart + 3] === 0x66) return -1;
      // A name that is an array index: a JS object lists those first, in numeric order.
      if (isIndexName(buf, nameStart, q)) return -1;
      names.push(nameStart, q);
    }
    if (count++ > 0) out.byte(0x2c /* , */);
    if (names !== undefined && !writeName(buf, nameStart, q, out)) return -1;
    p = writeValue(buf, type, q + 1, end - 1, out, depth);
    if (p < 0) return -1;
    // Told once the value is known to be whole, so the visitor may read it.
    top?.(nameStart, q, type, q + 1);
  }
  if (p !== end - 1) return -1;
  if (names !== undefined && names.length > 2 && hasDuplicate(buf, names)) return -1;
  out.byte(isArray ? 0x5d /* ] */ : 0x7d /* } */);
  return end;
}

/** Writes one value; returns where it ends, or -1. */
function writeValue(buf: Buffer, type: number, at: number, limit: number, out: ByteSink, depth: number): number {
  switch (type) {
    case T.double: {
      if (at + 8 > limit) return -1;
      out.ascii('{"$numberDouble":"');
      out.ascii(doubleText(buf.readDoubleLE(at)));
      out.ascii('"}');
      return at + 8;
    }
    case T.string: {
      if (at + 4 > limit) return -1;
      const len = int32(buf, at);
      const end = at + 4 + len;
      if (len < 1 || end > limit || buf[end - 1] !== 0) return -1;
      return writeStringBytes(buf, at + 4, end - 1, out) ? end : -1;
    }
    case T.document:
      return writeDocument(buf, at, limit, out, false, depth + 1);
    case T.array:
      return writeDocument(buf, at, limit, out, true, depth + 1);
    case T.binary: {
      if (at + 5 > limit) return -1;
      const len = int32(buf, at);
      const subType = buf[at + 4]!;
      const end = at + 5 + len;
      // Subtype 2 (the old binary) nests a second length: left to the driver.
      if (len < 0 || end > limit || subType === 2) return -1;
      writeBinary(buf.subarray(at + 5, end), subType, out);
      return end;
    }
    case T.objectId:
      if (at + 12 > limit) return -1;
      out.ascii('{"$oid":"');
      writeHex(buf, out, at, at + 12);
      out.ascii('"}');
      return at + 12;
    case T.boolean: {
      if (at + 1 > limit) return -1;
      const b = buf[at];
      if (b !== 0 && b !== 1) return -1;
      out.ascii(b === 1 ? 'true' : 'false');
      return at + 1;
    }
    case T.date: {
      if (at + 8 > limit) return -1;
      // As the driver makes it: new Date(Long.toNumber()), and an invalid Date as 0.
      const ms = int32(buf, at + 4) * TWO32 + (int32(buf, at) >>> 0);
      out.ascii('{"$date":{"$numberLong":"');
      writeInteger(Math.abs(ms) > MAX_DATE_MS ? 0 : ms, out);
      out.ascii('"}}');
      return at + 8;
    }
    case T.null:
      out.ascii('null');
      return at;
    case T.int32:
      if (at + 4 > limit) return -1;
      out.ascii('{"$numberInt":"');
      writeInteger(int32(buf, at), out);
      out.ascii('"}');
      return at + 4;
    case T.timestamp:
      if (at + 8 > limit) return -1;
      out.ascii('{"$timestamp":{"t":');
      writeInteger(int32(buf, at + 4) >>> 0, out);
      out.ascii(',"i":');
      writeInteger(int32(buf, at) >>> 0, out);
      out.ascii('}}');
      return at + 8;
    case T.int64: {
      if (at + 8 > limit) return -1;
      const n = int32(buf, at + 4) * TWO32 + (int32(buf, at) >>> 0);
      out.ascii('{"$numberLong":"');
      if (Number.isSafeInteger(n)) writeInteger(n, out);
      else out.ascii(buf.readBigInt64LE(at).toString());
      out.ascii('"}');
      return at + 8;
    }
    case T.decimal:
      if (at + 16 > limit) return -1;
      out.ascii('{"$numberDecimal":"');
      out.ascii(decimalToString(new BSON.Decimal128(buf.slice(at, at + 16))));
      out.ascii('"}');
      return at + 16;
    case T.minKey:
      out.ascii('{"$minKey":1}');
      return at;
    case T.maxKey:
      out.ascii('{"$maxKey":1}');
      return at;
    default:
      return -1;
  }
}

/**
 * A string value's bytes as a JSON string, as writeString writes the decoded string
 * (plain ASCII copied byte by byte: faster, measured on 1 KiB replies, than decoding,
 * testing and writing it again);
 * false when the decoded text holds U+FFFD (the driver's validation decides those).
 */
function writeStringBytes(buf: Buffer, from: number, to: number, out: ByteSink): boolean {
  if (copyPlain(buf, from, to, out)) return true;
  const s = buf.toString('utf8', from, to);
  if (s.includes('\uFFFD')) return false;
  writeString(s, out);
  return true;
}

/**
 * A name, as the driver decodes it and the text writes it; false for one with U+FFFD
 * (names are not validated: two different invalid names would be one key to the driver).
 */
function writeName(buf: Buffer, from: number, to: number, out: ByteSink): boolean {
  if (!copyPlain(buf, from, to, out)) {
    const name = buf.toString('utf8', from, to);
    if (name.includes('\uFFFD')) return false;
    writeKey(name, out);
    return true;
  }
  out.byte(0x3a /* : */);
  return true;
}

/** Quoted bytes, when all are printable ASCII other than `"` and `\`; false (nothing written) otherwise. */
function copyPlain(buf: Buffer, from: number, to: number, out: ByteSink): boolean {
  const n = to - from;
  if (n > SCAN_LIMIT) {
    // Checked by the regex engine on a one-byte string, copied by TypedArray#set (Buffer#copy's own checks cost more than the copy).
    if (NOT_PLAIN_BYTE.test(buf.toString('latin1', from, to))) return false;
    out.ensure(n + 2);
    out.buf[out.pos++] = 0x22;
    out.buf.set(buf.subarray(from, to), out.pos);
    out.pos += n;
    out.buf[out.pos++] = 0x22;
    return true;
  }
  out.ensure(n + 2);
  const o = out.buf;
  let p = out.pos;
  o[p++] = 0x22;
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    if (c < 32 || c === 34 || c === 92 || c > 126) return false;
    o[p++] = c;
  }
  o[p++] = 0x22;
  out.pos = p;
  return true;
}

/** Above this many bytes a string is checked by regex (its setup costs more than a short loop). */
const SCAN_LIMIT = 48;
// A byte JSON escapes or that is not ASCII, in a latin1 (one char per byte) string.
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NOT_PLAIN_BYTE = /["\\\u0000-\u001f\u007f-\u00ff]/;

/** A canonical array index (`0`, or digits without a leading zero, below 2^32 - 1), as JS orders keys. */
function isIndexName(buf: Buffer, from: number, to: number): boolean {
  const len = to - from;
  if (len === 0 || len > 10) return false;
  const first = buf[from]!;
  if (first < 0x30 || first > 0x39 || (first === 0x30 && len > 1)) return false;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) return false;
    v = v * 10 + (c - 0x30);
  }
  return v < 4294967295;
}

/** Whether two of the name ranges (start, end pairs) hold the same bytes. */
function hasDuplicate(buf: Buffer, names: readonly number[]): boolean {
  const count = names.length / 2;
  if (count > PAIRWISE_NAMES) {
    const seen = new Set<string>();
    for (let i = 0; i < names.length; i += 2) {
      const name = buf.toString('latin1', names[i], names[i + 1]);
      if (seen.has(name)) return true;
      seen.add(name);
    }
    return false;
  }
  for (let i = 0; i < names.length; i += 2) {
    const a = names[i]!;
    const len = names[i + 1]! - a;
    for (let j = i + 2; j < names.length; j += 2) {
      const b = names[j]!;
      if (names[j + 1]! - b !== len) continue;
      let k = 0;
      while (k < len && buf[a + k] === buf[b + k]) k++;
      if (k === len) return true;
    }
  }
  return false;
}

function int32(buf: Buffer, at: number): number {
  return buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24);
}
