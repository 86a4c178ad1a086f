import { z } from 'zod';

/**
 * The capture record: one operation as it passed (proxy), as the server logged or
 * profiled it (ingest), or as the server's traffic recorder saw it. This schema is
 * the one source of both the TypeScript types and the validation of every capture
 * line; captures/FORMAT.md documents it for people.
 *
 * In memory, BSON values (`command`, `reply.doc`) are documents of the driver's BSON
 * classes (Long, ObjectId, Decimal128, …: always from `import { BSON } from 'mongodb'`).
 * On disk they are canonical Extended JSON, so every type survives exactly.
 */
export const CAPTURE_FORMAT = 'mongo-compat-capture';
export const CAPTURE_FORMAT_VERSION = 1;

/**
 * Where a capture's records came from. `driver`: the application's own driver's command
 * monitoring (scenarios run without the proxy), which sees no handshake and cannot tell an
 * Int32 from a whole Double in a reply. `pcap`: a packet capture (tcpdump) ingested.
 */
export const SOURCE_KINDS = Object.freeze(['proxy', 'log', 'profile', 'traffic-recording', 'driver', 'pcap'] as const);

export const OPCODE_NAMES = Object.freeze([
  'OP_MSG',
  'OP_QUERY',
  'OP_GET_MORE',
  'OP_INSERT',
  'OP_UPDATE',
  'OP_DELETE',
  'OP_KILL_CURSORS',
  'OP_COMPRESSED',
  'OP_REPLY',
] as const);

/** Why an operation cannot be sent again as it is. Counted by reason in every report. */
export const NOT_REPLAYABLE_REASONS = Object.freeze([
  'truncated', // the source cut the command (log lines over the size limit, profiler `$truncated`)
  'legacy-opcode', // OP_INSERT/OP_UPDATE/… have no OP_MSG equivalent worth faking
  'missing-fields', // the source lacks what a replay needs (no filter, no namespace, …)
  'auth', // authentication conversations are never recorded in full
  'unacknowledged-reply-missing', // moreToCome request; kept for order only
  'parse-error', // the bytes or text could not be decoded; kept so the loss is visible
  'duplicate', // a write the log shows twice (per statement and per command): the other record replays it
  'internal', // the server ran it itself (index builds, TTL, session cache, replication, sharding, internal clients)
  'redacted', // the source replaced values (`"xxx"` passwords, `###` from redactClientLogData)
  'credentials', // creates, changes or proves a credential (createUser, saslStart, …): never replayed
  'get-more', // a profiler getMore: it needs the live cursor its originating command opened
] as const);

const HeaderSchema = z
  .object({
    format: z.literal(CAPTURE_FORMAT),
    version: z.number().int(),
    /** App label given at capture time (`--app`), when one was. Records carry their own. */
    app: z.string().optional(),
    source: z
      .object({
        kind: z.enum(SOURCE_KINDS),
        /** Redacted: never a password. */
        host: z.string().optional(),
        /** Files or URIs the records were read from (ingest). */
        inputs: z.array(z.string()).optional(),
      })
      .strict(),
    serverVersion: z.string().optional(),
    featureCompatibilityVersion: z.string().optional(),
    replicaSet: z.string().optional(),
    /** ISO-8601 start time of the capture. */
    startedAt: z.string(),
    redaction: z
      .object({
        mode: z.enum(['none', 'hash-paths', 'mask-strings']),
        /** Field paths whose values were replaced by keyed HMACs (mode hash-paths). */
        paths: z.array(z.string()).optional(),
      })
      .strict(),
    replyMode: z.enum(['full', 'digest', 'none']),
    tool: z.object({ name: z.string(), version: z.string() }).strict(),
    /** Set on shards written by `capture split`: which shard of how many. */
    shard: z.object({ index: z.number().int(), count: z.number().int() }).strict().optional(),
  })
  .strict();

export type CaptureHeader = z.infer<typeof HeaderSchema>;

/**
 * A BSON document as canonical Extended JSON on disk, BSON classes in memory.
 * Checked as "a plain object", not with `z.record`: that rebuilds every command key by
 * key on each read, a third of the reader's cost in bench/store (the values are BSON
 * classes zod cannot check anyway).
 */
const DocumentSchema = z.custom<Record<string, unknown>>(
  (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !('_bsontype' in v),
  'expected a document',
);

const ReplySchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('full'), doc: DocumentSchema }).strict(),
  z
    .object({
      mode: z.literal('digest'),
      /** sha256 (hex) of the reply's BSON bytes. */
      hash: z.string(),
      /** Documents in the batch (cursor replies) or `n` (writes), when present. */
      count: z.number().int().optional(),
    })
    .strict(),
]);

const ErrorSchema = z
  .object({
    code: z.number().int().optional(),
    codeName: z.string().optional(),
    message: z.string().optional(),
  })
  .strict();

export const OperationRecordSchema = z
  .object({
    /** Position in the capture: global order across connections (by start time). */
    seq: z.number().int().nonnegative(),
    /** Start time, microseconds since the Unix epoch (request's first byte at the proxy). */
    t: z.number().int(),
    /** Microseconds from request to the last reply byte; from the source for ingest; null if no reply. */
    dur: z.number().int().nonnegative().nullable(),
    /** Connection id, unique within the capture (e.g. `p1:17` proxy, `conn123` log). */
    conn: z.string(),
    /** Client address `ip:port`, when known. */
    client: z.string().optional(),
    /** Application: `--app`, else the client metadata `application.name` of the connection's hello. */
    app: z.string().optional(),
    db: z.string(),
    /** Collection, when the command names one. */
    coll: z.string().optional(),
    /** Command name as sent (first key of the body: find, aggregate, findAndModify, …). */
    cmd: z.string(),
    op: z.enum(OPCODE_NAMES),
    /**
     * The logical command: the OP_MSG body with kind-1 sequences merged in as arrays
     * (or the OP_QUERY query, legacy operations rendered as their command equivalent).
     * Credentials are never present.
     */
    command: DocumentSchema,
    reply: ReplySchema.optional(),
    /** Bytes of the reply message(s) on the wire. */
    replySize: z.number().int().nonnegative().optional(),
    error: ErrorSchema.optional(),
    /** Wire details kept for fidelity and exhaust/moreToCome pairing. */
    wire: z
      .object({
        requestId: z.number().int().optional(),
        moreToCome: z.boolean().optional(),
        exhaustAllowed: z.boolean().optional(),
        compressor: z.enum(['snappy', 'zlib', 'zstd', 'noop']).optional(),
        /** Replies in an exhaust stream (1 for ordinary commands). */
        replies: z.number().int().optional(),
      })
      .strict()
      .optional(),
    /** Server-side figures from logs/profiler (planSummary, keysExamined, docsExamined, nreturned, …). */
    stats: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
    /** Absent or undefined: replayable. Otherwise why not. */
    notReplayable: z.enum(NOT_REPLAYABLE_REASONS).optional(),
  })
  .strict();

export type OperationRecord = z.infer<typeof OperationRecordSchema>;

const OPCODES: ReadonlySet<unknown> = new Set(OPCODE_NAMES);
const REASONS: ReadonlySet<unknown> = new Set(NOT_REPLAYABLE_REASONS);
const COMPRESSORS: ReadonlySet<unknown> = new Set(['snappy', 'zlib', 'zstd', 'noop']);
const isInt = (v: unknown): boolean => Number.isSafeInteger(v);
const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isDocument = (v: unknown): boolean => isObject(v) && !('_bsontype' in v);
const optional = (v: unknown, check: (x: unknown) => boolean): boolean => v === undefined || check(v);

/**
 * Whether `v` is a record OperationRecordSchema accepts, and returns equal to it, checked
 * by hand: the capture reader's fast path. The schema's parse copies every record it
 * accepts (about 1.4 KB and 0.7 µs per line on the replay bench), and a line's record is
 * read many times but never shared. False for anything it is not sure of (the reader then
 * asks the schema, which names the offending field): a true here is never a record the
 * schema refuses (property-tested against it).
 */
export function isSchemaRecord(v: unknown): v is OperationRecord {
  if (!isObject(v)) return false;
  let required = 0;
  for (const key in v) {
    if (!Object.prototype.hasOwnProperty.call(v, key)) return false;
    const x = v[key];
    switch (key) {
      case 'seq':
        if (!isCount(x)) return false;
        required++;
        break;
      case 't':
        if (!isInt(x)) return false;
        required++;
        break;
      case 'dur':
        if (x !== null && !isCount(x)) return false;
        required++;
        break;
      case 'conn':
      case 'db':
      case 'cmd':
        if (typeof x !== 'string') return false;
        required++;
        break;
      case 'op':
        if (!OPCODES.has(x)) return false;
        required++;
        break;
      case 'command':
        if (!isDocument(x)) return false;
        required++;
        break;
      case 'client':
      case 'app':
      case 'coll':
        if (!optional(x, (s) => typeof s === 'string')) return false;
        break;
      case 'replySize':
        if (!optional(x, isCount)) return false;
        break;
      case 'notReplayable':
        if (!optional(x, (r) => REASONS.has(r))) return false;
        break;
      case 'reply':
        if (!optional(x, isSchemaReply)) return false;
        break;
      case 'error':
        if (!optional(x, isSchemaError)) return false;
        break;
      case 'wire':
        if (!optional(x, isSchemaWire)) return false;
        break;
      case 'stats':
        if (!optional(x, isSchemaStats)) return false;
        break;
      default:
        return false;
    }
  }
  return required === 8;
}

function isSchemaReply(v: unknown): boolean {
  if (!isObject(v)) return false;
  let n = 0;
  for (const key in v) {
    if (!Object.prototype.hasOwnProperty.call(v, key)) return false;
    n++;
  }
  if (v.mode === 'full') return n === 2 && isDocument(v.doc);
  if (v.mode === 'digest') return typeof v.hash === 'string' && optional(v.count, isInt) && n === 2 + ('count' in v ? 1 : 0);
  return false;
}

function isSchemaError(v: unknown): boolean {
  if (!isObject(v)) return false;
  for (const key in v) {
    if (!Object.prototype.hasOwnProperty.call(v, key)) return false;
    const x = v[key];
    switch (key) {
      case 'code':
        if (!optional(x, isInt)) return false;
        break;
      case 'codeName':
      case 'message':
        if (!optional(x, (s) => typeof s === 'string')) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function isSchemaWire(v: unknown): boolean {
  if (!isObject(v)) return false;
  for (const key in v) {
    if (!Object.prototype.hasOwnProperty.call(v, key)) return false;
    const x = v[key];
    switch (key) {
      case 'requestId':
      case 'replies':
        if (!optional(x, isInt)) return false;
        break;
      case 'moreToCome':
      case 'exhaustAllowed':
        if (!optional(x, (b) => typeof b === 'boolean')) return false;
        break;
      case 'compressor':
        if (!optional(x, (c) => COMPRESSORS.has(c))) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function isSchemaStats(v: unknown): boolean {
  if (!isObject(v)) return false;
  for (const key in v) {
    if (!Object.prototype.hasOwnProperty.call(v, key)) return false;
    const x = v[key];
    if (!(typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x)))) return false;
  }
  return true;
}
export type NotReplayableReason = (typeof NOT_REPLAYABLE_REASONS)[number];
export { HeaderSchema as CaptureHeaderSchema };

/**
 * Where the proxy and ingest write records. The store's capture writer implements it.
 * `write` never blocks the caller: it returns false when the record was dropped
 * (queue full), and the sink counts drops itself.
 */
export interface RecordSink {
  write(record: OperationRecord): boolean;
  /** Records dropped so far because the sink was behind. */
  readonly dropped: number;
  /** Flushes and closes; the capture is complete and readable afterwards. */
  close(): Promise<void>;
}
