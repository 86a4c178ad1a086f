import { BSON } from 'mongodb';

/**
 * What compare needs to know about one BSON value, in memory as the driver's classes
 * (read with `promoteValues: false`) or as plain JS values from hand-built documents.
 * Numbers are told apart by BSON type (int/long/double/decimal) so that numeric
 * widening is seen, never erased.
 */
export type ValueKind = 'document' | 'array' | 'number' | 'leaf';

export function kindOf(value: unknown): ValueKind {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'number' || typeof value === 'bigint' ? 'number' : 'leaf';
  }
  if (Array.isArray(value)) return 'array';
  const t = (value as { _bsontype?: string })._bsontype;
  if (t === undefined) {
    if (value instanceof Date || value instanceof RegExp || value instanceof Uint8Array) return 'leaf';
    return 'document';
  }
  if (t === 'Int32' || t === 'Double' || t === 'Long' || t === 'Decimal128') return 'number';
  return 'leaf';
}

/** BSON numeric type of a number-kind value; plain JS numbers as the driver would serialise them. */
export function numericType(value: unknown): 'int' | 'long' | 'double' | 'decimal' {
  if (typeof value === 'number') return Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31 ? 'int' : 'double';
  if (typeof value === 'bigint') return 'long';
  switch ((value as { _bsontype: string })._bsontype) {
    case 'Int32':
      return 'int';
    case 'Long':
      return 'long';
    case 'Decimal128':
      return 'decimal';
    default:
      return 'double';
  }
}

/**
 * The exact numeric value as a string, equal for equal values of any type: integers
 * (within the exact range of a double) as decimal integers, other doubles by
 * `String`, longs by their decimal digits, decimals normalised through Number when
 * that is exact. `-0` and `0` compare equal, NaN equals NaN (the server's $eq agrees).
 */
/** Same numeric type and value, without building strings (the hot path of equal replies). */
export function sameNumber(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  const ta = (a as { _bsontype?: string } | null)?._bsontype;
  if (ta !== undefined && ta === (b as { _bsontype?: string } | null)?._bsontype) {
    if (ta === 'Int32' || ta === 'Double') {
      const x = (a as BSON.Double).value;
      const y = (b as BSON.Double).value;
      return x === y || (Number.isNaN(x) && Number.isNaN(y));
    }
    if (ta === 'Long') return (a as BSON.Long).equals(b as BSON.Long);
  }
  return numericType(a) === numericType(b) && numericValue(a) === numericValue(b);
}

export function numericValue(value: unknown): string {
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'bigint') return value.toString();
  const t = (value as { _bsontype: string })._bsontype;
  if (t === 'Long') return (value as BSON.Long).toString();
  if (t === 'Decimal128') {
    const text = (value as BSON.Decimal128).toString();
    const n = Number(text);
    // Only when the decimal is an integer or a value a double holds exactly.
    return Number.isFinite(n) && String(n) === text.replace(/\.0+$/, '').replace(/E\+?/, 'e+') ? numberText(n) : `dec:${text}`;
  }
  return numberText((value as { valueOf(): number }).valueOf());
}

function numberText(n: number): string {
  if (Object.is(n, -0)) return '0';
  if (Number.isInteger(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER) return BigInt(n).toString();
  return String(n);
}

/** Leaf equality (non-number, non-container): by type and value. */
export function leafEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime() || (Number.isNaN(a.getTime()) && Number.isNaN(b.getTime()));
  const ta = bsonTypeOf(a);
  if (ta !== bsonTypeOf(b)) return false;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0;
  // Fast cases for the common BSON classes; display() (EJSON) for the rest.
  switch (ta) {
    case 'ObjectId':
      return (a as BSON.ObjectId).equals(b as BSON.ObjectId);
    case 'Binary': {
      const x = a as BSON.Binary;
      const y = b as BSON.Binary;
      return x.sub_type === y.sub_type && x.position === y.position && Buffer.compare(x.buffer.subarray(0, x.position), y.buffer.subarray(0, y.position)) === 0;
    }
    case 'Timestamp':
      return (a as BSON.Timestamp).equals(b as BSON.Timestamp);
    default:
      return display(a) === display(b);
  }
}

function bsonTypeOf(value: object): string {
  if (value instanceof Date) return 'date';
  if (value instanceof RegExp) return 'regex';
  if (value instanceof Uint8Array) return 'bytes';
  const t = (value as { _bsontype?: string })._bsontype;
  return t === 'BSONRegExp' ? 'regex' : (t ?? 'object');
}

/**
 * Canonical Extended JSON of a value, for reports: `{"$numberInt":"1"}` versus
 * `{"$numberDouble":"1.0"}` shows the type of each side. Never throws: a value the
 * EJSON writer refuses (a cycle, a function) is shown by its type name.
 */
export function display(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || kindOf(value) === 'document') {
      return BSON.EJSON.stringify(value as BSON.Document, { relaxed: false });
    }
    // EJSON.stringify wants a document or array at the top: wrap and unwrap.
    const text = BSON.EJSON.stringify({ v: value }, { relaxed: false });
    return text.slice(5, -1);
  } catch {
    return `<${typeof value}>`;
  }
}

/**
 * A key equal for values that compare equal up to field order and numeric type:
 * pairs documents of two results before diffing them. Order-insensitive for document
 * fields, order-sensitive for arrays.
 */
export function looseKey(value: unknown): string {
  switch (kindOf(value)) {
    case 'number':
      return `n${numericValue(value)}`;
    case 'array':
      return `[${(value as unknown[]).map(looseKey).join(',')}]`;
    case 'document': {
      const doc = value as Record<string, unknown>;
      const keys = Object.keys(doc).sort();
      let out = '{';
      for (const k of keys) out += `${JSON.stringify(k)}:${looseKey(doc[k])},`;
      return `${out}}`;
    }
    default:
      return `l${display(value)}`;
  }
}

/**
 * A key equal only for values equal in every respect (types, field order): the bytes
 * the driver would send. Plain JS numbers serialise as the driver would.
 */
export function exactKey(value: unknown): string {
  if (kindOf(value) === 'document') {
    try {
      return Buffer.from(BSON.serialize(value as BSON.Document)).toString('latin1');
    } catch {
      // Unserialisable (a cycle, a bad key): fall through to the display form.
    }
  }
  return display(value);
}
