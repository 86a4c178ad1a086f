import { BSON, type Document } from 'mongodb';
import { decodeBson } from './command.ts';

/*
 * decodeBson (driver BSON classes, UTF-8 validated) made cheaper for large documents,
 * with the same result and the same errors.
 *
 * The driver validates a string value by decoding it and then scanning every character
 * for U+FFFD in JavaScript; on the 1 KiB messages of bench/pcap that scan was a sixth
 * of the ingest's CPU. Here the document is decoded without validation (the strings
 * come out the same for valid UTF-8, with U+FFFD for invalid bytes), then its string
 * values are checked for U+FFFD with the engine's native search. Only when one holds it
 * (invalid UTF-8, or a U+FFFD that was really sent) is the document decoded again the
 * validated way, which throws or returns exactly what decodeBson does. A document the
 * unvalidated decode refuses is decoded the validated way too, so its error is the same.
 *
 * Validated by the driver, and so checked here: values of type string, symbol, code and
 * code with scope (its scope too), and DBPointer's namespace, at any depth; names and
 * regular expressions are not validated by the driver (bson 6 deserializeObject).
 */
const UNVALIDATED = Object.freeze({ promoteValues: false, bsonRegExp: true, validation: { utf8: false } } as const);

/** Below this size the driver's own scan costs less than the walk that replaces it. */
const FAST_FROM_BYTES = 256;

export function decodeBsonFast(bytes: Buffer): Document {
  if (bytes.length < FAST_FROM_BYTES) return decodeBson(bytes);
  let doc: Document;
  try {
    doc = BSON.deserialize(bytes, UNVALIDATED);
  } catch {
    return decodeBson(bytes);
  }
  return holdsReplacement(doc) ? decodeBson(bytes) : doc;
}

/** True when a string value the driver validates holds U+FFFD. */
export function holdsReplacement(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('\uFFFD');
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (holdsReplacement(v[i])) return true;
    return false;
  }
  const type = (v as { _bsontype?: unknown })._bsontype;
  if (type === undefined) {
    const d = v as Document;
    for (const k in d) if (holdsReplacement(d[k])) return true;
    return false;
  }
  switch (type) {
    case 'BSONSymbol':
      return holdsReplacement((v as BSON.BSONSymbol).value);
    case 'Code':
      return holdsReplacement((v as BSON.Code).code) || holdsReplacement((v as BSON.Code).scope);
    case 'DBRef': {
      const r = v as BSON.DBRef;
      return holdsReplacement(r.collection) || holdsReplacement(r.db) || holdsReplacement(r.oid) || holdsReplacement(r.fields);
    }
    default:
      return false;
  }
}
