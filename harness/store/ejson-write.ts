import { BSON } from 'mongodb';

/**
 * Canonical Extended JSON (EJSON spec v2, "canonical mode") written by hand.
 *
 * Why not `BSON.EJSON.stringify(v, { relaxed: false })`: it first builds a full copy of
 * the document as wrapper objects and then stringifies that copy; on a 1 KiB command
 * it manages about 75k docs/s (research/ecosystem.md), below the store's 100k rec/s
 * target before compression is even counted. Here the common types are written
 * straight into one string; rare types (Code, Symbol, DBPointer, undefined, …) go
 * through the library so they stay exactly as the spec says.
 */
export function stringifyCanonical(value: unknown): string {
  return writeValue(value);
}

function writeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return writeNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `{"$numberLong":"${value.toString()}"}`;
    case 'object':
      break;
    default:
      // undefined and functions: BSON's serializer skips such fields; inside an array it
      // writes null. Mirror that (objects skip them in writeObject).
      return 'null';
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      out += item === undefined || typeof item === 'function' ? 'null' : writeValue(item);
    }
    return `${out}]`;
  }
  const bsontype = (value as { _bsontype?: unknown })._bsontype;
  if (typeof bsontype === 'string') return writeBsonValue(bsontype, value);
  if (value instanceof Date) return `{"$date":{"$numberLong":"${dateMillis(value)}"}}`;
  if (value instanceof RegExp) return writeRegex(value.source, value.flags);
  if (value instanceof Uint8Array) return writeBinary(value, 0);
  return writeObject(value as Record<string, unknown>);
}

function writeObject(doc: Record<string, unknown>): string {
  let out = '{';
  let first = true;
  for (const key in doc) {
    if (!Object.prototype.hasOwnProperty.call(doc, key)) continue;
    const v = doc[key];
    if (v === undefined || typeof v === 'function') continue;
    if (first) first = false;
    else out += ',';
    out += JSON.stringify(key);
    out += ':';
    out += writeValue(v);
  }
  return `${out}}`;
}

/** A plain JS number becomes int32 when it is one, double otherwise: BSON's own rule. */
function writeNumber(n: number): string {
  if (Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 && !Object.is(n, -0)) return `{"$numberInt":"${n}"}`;
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

function dateMillis(d: Date): string {
  const ms = d.getTime();
  // An invalid Date has no BSON form; BSON writes it as 0 ms, so do we.
  return Number.isNaN(ms) ? '0' : String(ms);
}

function writeRegex(pattern: string, flags: string): string {
  // Canonical options are sorted alphabetically (EJSON spec, Regular Expression).
  const options = [...flags].sort().join('');
  return `{"$regularExpression":{"pattern":${JSON.stringify(pattern)},"options":${JSON.stringify(options)}}}`;
}

function writeBinary(bytes: Uint8Array, subType: number): string {
  const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const hex = subType.toString(16).padStart(2, '0');
  return `{"$binary":{"base64":"${b64}","subType":"${hex}"}}`;
}

function writeBsonValue(bsontype: string, value: object): string {
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
      return `{"$numberDecimal":"${(value as BSON.Decimal128).toString()}"}`;
    case 'Binary': {
      const bin = value as BSON.Binary;
      return writeBinary(bin.buffer.subarray(0, bin.position), bin.sub_type);
    }
    case 'Timestamp': {
      const ts = value as BSON.Timestamp;
      return `{"$timestamp":{"t":${ts.high >>> 0},"i":${ts.low >>> 0}}}`;
    }
    case 'BSONRegExp': {
      const re = value as BSON.BSONRegExp;
      return writeRegex(re.pattern, re.options);
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
