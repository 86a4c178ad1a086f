import { BSON } from 'mongodb';

/**
 * A reply's digest bytes read straight from its BSON, without decoding it (issue 23:
 * decoding a reply, copying it without its volatile fields and serialising the copy
 * again cost more CPU per operation than sending it). What it builds is, byte for byte,
 * what digest.ts hashes for a decoded reply, `BSON.serialize(stripVolatile(reply))`,
 * for every reply a server sends: BSON read with `promoteValues: false` and written
 * again is the same bytes (the property test checks it against the driver's BSON on
 * random documents). Where a reply could differ from that (a duplicate key, a legacy
 * type the driver rewrites), the digests of two targets may differ where the decoded
 * ones would not; outcomes.ts then recomputes them from the decoded replies, so only
 * identical bytes ever skip the decode.
 *
 *   body:   [len][el][el cursor:[len][id][firstBatch:[doc][doc]][ns]…][el $clusterTime]…[0]
 *   digest: [len'][el][el cursor:[len'][firstBatch:[]][ns]…]…[0]   (volatile elements left out)
 *   docs:   the batch's documents, as slices of the body
 */

/** Top-level fields that differ on every server by nature (digest.ts stripVolatile). */
export const VOLATILE_TOP: ReadonlySet<string> = new Set(['$clusterTime', 'operationTime', 'electionId', 'opTime', 'lastCommittedOpTime', '$gleStats', '$configServerState', '$topologyTime', 'localTime']);

/** What the digest and the cursor logic need of a reply. */
export interface RawDigest {
  /** serialize(stripVolatile(reply)), with the batch emptied when one was asked for. */
  readonly stripped: Uint8Array;
  /** The documents of the asked-for batch (empty when none was asked for). */
  readonly docs: readonly Uint8Array[];
  /** `cursor.id`, when the reply has a cursor document with an int64 id. */
  readonly cursorId: BSON.Long | null;
  /** `cursor.ns`, when a string. */
  readonly ns?: string;
  /** Whether the reply has a `cursor` document at all. */
  readonly hasCursor: boolean;
}

const T_DOUBLE = 0x01;
const T_STRING = 0x02;
const T_DOCUMENT = 0x03;
const T_ARRAY = 0x04;
const T_INT64 = 0x12;
const EMPTY_ARRAY = Uint8Array.of(5, 0, 0, 0, 0);

/**
 * Where the value of an element of type `type` starting at `at` ends, or -1 when the
 * type is unknown or the length runs past `end` (then the caller decodes instead).
 */
export function valueEnd(buf: Uint8Array, type: number, at: number, end: number): number {
  let e: number;
  switch (type) {
    case 0x01: // double
    case 0x09: // UTC datetime
    case 0x11: // timestamp
    case 0x12: // int64
      e = at + 8;
      break;
    case 0x02: // string
    case 0x0d: // JavaScript code
    case 0x0e: // symbol
      e = at + 4 + int32(buf, at);
      break;
    case 0x03: // document
    case 0x04: // array
    case 0x0f: // code with scope
      e = at + int32(buf, at);
      break;
    case 0x05: // binary: length, subtype, bytes
      e = at + 5 + int32(buf, at);
      break;
    case 0x06: // undefined
    case 0x0a: // null
    case 0x7f: // max key
    case 0xff: // min key
      e = at;
      break;
    case 0x07: // ObjectId
      e = at + 12;
      break;
    case 0x08: // boolean
      e = at + 1;
      break;
    case 0x0b: {
      // regular expression: two cstrings
      const a = buf.indexOf(0, at);
      e = a < 0 ? -1 : buf.indexOf(0, a + 1) + 1;
      if (e === 0) e = -1;
      break;
    }
    case 0x0c: // DBPointer: string, ObjectId
      e = at + 4 + int32(buf, at) + 12;
      break;
    case 0x10: // int32
      e = at + 4;
      break;
    case 0x13: // decimal128
      e = at + 16;
      break;
    default:
      return -1;
  }
  return e > end || e < at ? -1 : e;
}

/**
 * The digest bytes of a reply body and, with `batch`, the documents of `cursor[batch]`
 * (emptied in the digest bytes, as the cursor logic does before digesting). Undefined
 * when the body is not laid out as expected (then the caller decodes).
 */
export function rawDigest(body: Uint8Array, batch?: 'firstBatch' | 'nextBatch'): RawDigest | undefined {
  const end = body.length;
  if (end < 5 || int32(body, 0) !== end || body[end - 1] !== 0) return undefined;
  const parts: Uint8Array[] = [];
  let size = 4 + 1;
  let docs: Uint8Array[] = [];
  let cursorId: BSON.Long | null = null;
  let ns: string | undefined;
  let hasCursor = false;
  for (let at = 4; at < end - 1; ) {
    const type = body[at]!;
    const keyEnd = body.indexOf(0, at + 1);
    if (keyEnd < 0 || keyEnd >= end - 1) return undefined;
    const vEnd = valueEnd(body, type, keyEnd + 1, end - 1);
    if (vEnd < 0) return undefined;
    const keyLen = keyEnd - at - 1;
    if (keyLen >= 5 && keyLen <= 19 && isVolatile(body, at + 1, keyEnd)) {
      at = vEnd;
      continue;
    }
    if (type === T_DOCUMENT && keyLen === 6 && keyIs(body, at + 1, 'cursor')) {
      if (hasCursor) return undefined; // a duplicate key: the decoded reply keeps the last
      hasCursor = true;
      const sub = cursorParts(body, keyEnd + 1, vEnd, batch);
      if (!sub) return undefined;
      docs = sub.docs;
      cursorId = sub.id;
      ns = sub.ns;
      const head = body.subarray(at, keyEnd + 1);
      const len = new Uint8Array(4);
      writeInt32(len, sub.size);
      parts.push(head, len, ...sub.parts, ZERO);
      size += head.length + sub.size;
    } else {
      parts.push(body.subarray(at, vEnd));
      size += vEnd - at;
    }
    at = vEnd;
  }
  if (batch && !hasCursor) return undefined;
  const stripped = new Uint8Array(size);
  writeInt32(stripped, size);
  let o = 4;
  for (const p of parts) {
    stripped.set(p, o);
    o += p.length;
  }
  stripped[o] = 0;
  return { stripped, docs, cursorId, ns, hasCursor };
}

const ZERO = Uint8Array.of(0);

/** The cursor document's elements without `id` (its batch emptied when asked), and what they hold. */
function cursorParts(
  body: Uint8Array,
  from: number,
  to: number,
  batch: 'firstBatch' | 'nextBatch' | undefined,
): { parts: Uint8Array[]; size: number; docs: Uint8Array[]; id: BSON.Long | null; ns?: string } | undefined {
  if (int32(body, from) !== to - from || body[to - 1] !== 0) return undefined;
  const parts: Uint8Array[] = [];
  let size = 4 + 1;
  const docs: Uint8Array[] = [];
  let id: BSON.Long | null = null;
  let ns: string | undefined;
  let sawBatch = false;
  let sawId = false;
  for (let at = from + 4; at < to - 1; ) {
    const type = body[at]!;
    const keyEnd = body.indexOf(0, at + 1);
    if (keyEnd < 0 || keyEnd >= to - 1) return undefined;
    const v = keyEnd + 1;
    const vEnd = valueEnd(body, type, v, to - 1);
    if (vEnd < 0) return undefined;
    const keyLen = keyEnd - at - 1;
    if (keyLen === 2 && keyIs(body, at + 1, 'id')) {
      if (sawId) return undefined;
      sawId = true;
      // Only an int64 id is read here; any other type is decoded the usual way.
      if (type !== T_INT64) return undefined;
      const lo = int32(body, v);
      const hi = int32(body, v + 4);
      id = lo === 0 && hi === 0 ? null : BSON.Long.fromBits(lo, hi);
      at = vEnd;
      continue;
    }
    if (batch && keyLen === batch.length && keyIs(body, at + 1, batch)) {
      if (sawBatch || type !== T_ARRAY) return undefined;
      sawBatch = true;
      if (!arrayDocs(body, v, vEnd, docs)) return undefined;
      const head = body.subarray(at, keyEnd + 1);
      parts.push(head, EMPTY_ARRAY);
      size += head.length + EMPTY_ARRAY.length;
      at = vEnd;
      continue;
    }
    if (keyLen === 2 && type === T_STRING && keyIs(body, at + 1, 'ns')) ns = Buffer.from(body.buffer, body.byteOffset + v + 4, int32(body, v) - 1).toString('utf8');
    parts.push(body.subarray(at, vEnd));
    size += vEnd - at;
    at = vEnd;
  }
  // No batch where one was asked for: the cursor logic would add an empty one at the end.
  if (batch && !sawBatch) return undefined;
  return { parts, size, docs, id, ns };
}

/** The documents of a BSON array (every element a document), into `docs`; false otherwise. */
function arrayDocs(body: Uint8Array, from: number, to: number, docs: Uint8Array[]): boolean {
  if (body[to - 1] !== 0) return false;
  for (let at = from + 4; at < to - 1; ) {
    if (body[at] !== T_DOCUMENT) return false;
    const keyEnd = body.indexOf(0, at + 1);
    if (keyEnd < 0) return false;
    const v = keyEnd + 1;
    const vEnd = valueEnd(body, T_DOCUMENT, v, to - 1);
    if (vEnd < 0) return false;
    docs.push(body.subarray(v, vEnd));
    at = vEnd;
  }
  return true;
}

function isVolatile(body: Uint8Array, from: number, to: number): boolean {
  return VOLATILE_TOP.has(Buffer.from(body.buffer, body.byteOffset + from, to - from).toString('latin1'));
}

function keyIs(body: Uint8Array, from: number, key: string): boolean {
  for (let i = 0; i < key.length; i++) if (body[from + i] !== key.charCodeAt(i)) return false;
  return true;
}

function int32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) | 0;
}

function writeInt32(b: Uint8Array, v: number): void {
  b[0] = v & 0xff;
  b[1] = (v >>> 8) & 0xff;
  b[2] = (v >>> 16) & 0xff;
  b[3] = (v >>> 24) & 0xff;
}

/**
 * Whether a reply body's top-level `ok` is a number equal to 0 (an error reply), read
 * without decoding, as target.ts decides it for a decoded reply (a boolean `ok` is not
 * a number there); undefined when the body cannot be walked or `ok` has a rarer type.
 */
export function rawOkIsZero(body: Uint8Array): boolean | undefined {
  const end = body.length - 1;
  for (let at = 4; at < end; ) {
    const type = body[at]!;
    const keyEnd = body.indexOf(0, at + 1);
    if (keyEnd < 0) return undefined;
    const v = keyEnd + 1;
    const vEnd = valueEnd(body, type, v, end);
    if (vEnd < 0) return undefined;
    if (keyEnd - at - 1 === 2 && body[at + 1] === 0x6f && body[at + 2] === 0x6b) {
      const view = new DataView(body.buffer, body.byteOffset);
      if (type === T_DOUBLE) return view.getFloat64(v, true) === 0;
      if (type === 0x10) return view.getInt32(v, true) === 0;
      if (type === T_INT64) return view.getBigInt64(v, true) === 0n;
      if (type === 0x08 || type === 0x0a || type === T_STRING) return false;
      return undefined;
    }
    at = vEnd;
  }
  return false;
}
