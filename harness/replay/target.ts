import { BSON, MongoClient, type ClientSession, type Db, type ReadPreferenceLike } from 'mongodb';
import ConnectionString from 'mongodb-connection-string-url';
import { ReplayNetworkError, ReplayTimeoutError, UsageError } from '../errors.ts';
import type { OperationRecord } from '../model/record.ts';
import type { OutcomeError } from '../model/run/outcome.ts';
import { bsonElement } from '../wire/index.ts';
import { decodeReplyBody, WirePool, type SendTiming } from './wire-pool.ts';
import { rawOkIsZero } from './raw-reply.ts';

/**
 * One live target during a replay: its client, a live session per recorded session,
 * and the fault policy. This is the only file of the replayer that talks to a server.
 *
 * Faults: a connection error is retried with exponential backoff (RETRY_DELAYS_MS);
 * once the retries are spent the target is marked down and every later operation on
 * it is `unavailable` at once, so a dead target costs seconds, not a timeout per op.
 * A stuck operation ends at `opTimeoutMs` (the socket timeout just above it closes
 * the connection, so the pool does not fill with hung sockets).
 *
 * Transport: commands go out through the replayer's own OP_MSG pool (wire-pool.ts) when
 * the target allows it (one host or a replica set's primary, no credentials, TLS or
 * compression in its URI), else through the `mongodb` driver; `--transport` forces
 * either. Operations that carry a read preference for a replica set always take the
 * driver, which routes them. Both paths use the same live session id per recorded
 * session, so a session that crosses them is still one session on the server.
 */
export type Transport = 'auto' | 'wire' | 'driver';

export const RETRY_DELAYS_MS = Object.freeze([100, 300, 900]);
/** Each retry waits at most this long for a server: a dead target is declared down in ~5 s. */
const SELECTION_TIMEOUT_MS = 1_000;

/** codeName given to an operation that did not answer within --op-timeout. */
export const TIMEOUT_CODE_NAME = 'ReplayOpTimeout';

export type SendResult =
  | {
      readonly kind: 'ok';
      readonly reply: BSON.Document;
      /** The reply's body as received, on the wire transport: digested from its bytes, decoded only when read (WireReply). */
      readonly raw?: Uint8Array;
      readonly sentAt: number;
      readonly endAt: number;
    }
  | { readonly kind: 'error'; readonly error: OutcomeError; readonly sentAt: number; readonly endAt: number }
  | { readonly kind: 'unavailable'; readonly reason: string };

/**
 * How one command is sent: the live session it belongs to, the read preference it
 * carried, whether a connection error may be retried, and the record it replays
 * (absent for the drains and kills that end a cursor). A live server ignores the
 * record; a target that answers from the capture itself (shadow's production side)
 * reads its reply there.
 */
export interface SendOptions {
  readonly sessionKey?: string;
  readonly readPreference?: BSON.Document;
  readonly retry: boolean;
  readonly record?: OperationRecord;
  /** Shared by the sends of one operation to every target: latency runs from its first write (wire-pool.ts SendTiming). */
  readonly timing?: SendTiming;
}

export interface LiveTargetInfo {
  readonly name: string;
  readonly role: 'baseline' | 'candidate';
  readonly uri: string;
  readonly displayUri: string;
  readonly serverVersion?: string;
  readonly product?: string;
}

/** Options of `db.command` on the driver path: replies keep their BSON number types. */
const DRIVER_REPLY = Object.freeze({ promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const);

export class LiveTarget {
  readonly client: MongoClient;
  replicaSet = false;
  setName?: string;
  hosts: string[] = [];
  down?: string;
  /** The transport in use once connected, and why the driver when `auto` could not use the wire. */
  transport: 'wire' | 'driver' = 'driver';
  transportNote?: string;
  private wire?: WirePool;
  private readonly lsids = new Map<string, BSON.Document>();
  private readonly sessions = new Map<string, ClientSession>();
  /** client.db() builds options on every call (~2 % of a replay's CPU, profiled): keep one per name. */
  private readonly dbs = new Map<string, Db>();

  constructor(
    readonly info: LiveTargetInfo,
    private readonly opTimeoutMs: number,
    private readonly maxPoolSize: number,
    private readonly requested: Transport = 'auto',
  ) {
    this.client = new MongoClient(info.uri, {
      serverSelectionTimeoutMS: SELECTION_TIMEOUT_MS,
      connectTimeoutMS: 2_000,
      socketTimeoutMS: opTimeoutMs + 1_000,
      maxPoolSize,
      // Lets warm() open the whole pool at once (the default, 2, opens it two by two).
      maxConnecting: maxPoolSize,
      retryReads: false,
      retryWrites: false,
      appName: 'mongo-compat-replay',
    });
  }

  get name(): string {
    return this.info.name;
  }

  /** Connects and learns the topology; throws when the target does not answer. */
  async connect(): Promise<void> {
    await this.client.connect();
    const hello = await this.client.db('admin').command({ hello: 1 });
    this.setName = typeof hello.setName === 'string' ? hello.setName : undefined;
    this.replicaSet = this.setName !== undefined;
    this.hosts = [...((hello.hosts as string[] | undefined) ?? []), ...(typeof hello.me === 'string' ? [hello.me] : [])];
    if (this.requested === 'driver') return;
    const why = wireRoute(this.info.uri, hello);
    if (typeof why === 'string') {
      if (this.requested === 'wire') throw new UsageError(`--transport wire: target ${this.name} ${why}; use --transport driver or auto`);
      this.transportNote = `driver: ${why}`;
      return;
    }
    this.wire = new WirePool({ ...why, maxPoolSize: this.maxPoolSize, connectTimeoutMs: 2_000, opTimeoutMs: this.opTimeoutMs, appName: 'mongo-compat-replay', batchWrites: true });
    this.transport = 'wire';
  }


  /**
   * Opens up to `n` pooled connections before the measured pass. The driver opens
   * connections lazily, at most `maxConnecting` (2) at a time, each with its own
   * handshake: measured on the replay bench, a cold pool put the first ~0.8 s of a
   * 2,000 ops/s recorded replay hundreds of ms behind schedule (p99 lag 300–900 ms).
   */
  async warm(n: number): Promise<void> {
    if (this.wire) await this.wire.warm(n);
    const admin = this.db('admin');
    if (this.wire) n = Math.min(n, 2); // the driver carries only read-preference operations then
    await Promise.all(Array.from({ length: n }, () => admin.command({ ping: 1 }).catch(() => undefined)));
  }

  session(key: string | undefined): ClientSession | undefined {
    if (key === undefined) return undefined;
    let s = this.sessions.get(key);
    if (!s) {
      // No causal consistency: it would add afterClusterTime to reads the recording did not have.
      s = this.client.startSession({ causalConsistency: false });
      this.sessions.set(key, s);
    }
    return s;
  }

  /** `$db` and `lsid` elements as BSON bytes, built once per database and per recorded session. */
  private readonly dbElements = new Map<string, Uint8Array>();
  private readonly lsidElements = new Map<string, Uint8Array>();
  private element(name: '$db' | 'lsid', key: string, cache: Map<string, Uint8Array>): Uint8Array {
    let e = cache.get(key);
    if (!e) cache.set(key, (e = bsonElement(name, name === '$db' ? key : this.lsid(key))));
    return e;
  }

  /** The live `lsid` for a recorded session: the driver session's own, so both paths share it. */
  private lsid(key: string): BSON.Document {
    let id = this.lsids.get(key);
    if (!id) this.lsids.set(key, (id = this.session(key)!.id!));
    return id;
  }

  async send(
    db: string,
    command: BSON.Document,
    options: SendOptions,
  ): Promise<SendResult> {
    if (this.down) return { kind: 'unavailable', reason: this.down };
    if (this.wire && options.readPreference === undefined) return this.sendWire(this.wire, db, command, options);
    const session = this.session(options.sessionKey);
    for (let attempt = 0; ; attempt++) {
      const sentAt = performance.now();
      try {
        const reply = await this.withTimeout(
          this.db(db).command(command, {
            session,
            readPreference: options.readPreference as ReadPreferenceLike | undefined,
            ...DRIVER_REPLY,
          }),
        );
        return { kind: 'ok', reply, sentAt, endAt: performance.now() };
      } catch (err) {
        const endAt = performance.now();
        if (err instanceof OpTimeout) {
          return { kind: 'error', error: { codeName: TIMEOUT_CODE_NAME, message: `no reply within ${this.opTimeoutMs} ms` }, sentAt, endAt };
        }
        if (isConnectionError(err)) {
          // A write may have reached the server before the connection broke: retry it only when it was never sent.
          const retryable = options.retry || isSelectionError(err);
          if (retryable && attempt < RETRY_DELAYS_MS.length) {
            await sleep(RETRY_DELAYS_MS[attempt]!);
            continue;
          }
          if (retryable) {
            this.down = `target down since ${new Date().toISOString()}: ${firstLine((err as Error).message)}`;
            return { kind: 'unavailable', reason: this.down };
          }
          return { kind: 'unavailable', reason: `connection lost during a write: ${firstLine((err as Error).message)}` };
        }
        return { kind: 'error', error: errorOf(err), sentAt, endAt };
      }
    }
  }

  private async sendWire(wire: WirePool, db: string, command: BSON.Document, options: SendOptions): Promise<SendResult> {
    const body = serializeOnce(command);
    const elements = [this.element('$db', db, this.dbElements)];
    if (options.sessionKey !== undefined) elements.push(this.element('lsid', options.sessionKey, this.lsidElements));
    for (let attempt = 0; ; attempt++) {
      // The pool writes a turn's requests together: latency runs from the write (SendTiming), a retry's from its own.
      const timing: SendTiming = attempt === 0 && options.timing ? options.timing : { sentAt: 0 };
      let sentAt = performance.now();
      try {
        const raw = await wire.commandRaw(body, elements, timing);
        const endAt = performance.now();
        if (timing.sentAt > 0) sentAt = timing.sentAt;
        // `ok` read from the bytes; a body too unusual to walk is decoded now, as before.
        const zero = rawOkIsZero(raw);
        if (zero === false) return new WireReply(raw, wire.address, sentAt, endAt);
        const reply = decodeReplyBody(raw, wire.address);
        if (isZero(reply.ok)) return { kind: 'error', error: serverErrorOf(reply), sentAt, endAt };
        return { kind: 'ok', reply, sentAt, endAt };
      } catch (err) {
        const endAt = performance.now();
        if (err instanceof ReplayTimeoutError) {
          return { kind: 'error', error: { codeName: TIMEOUT_CODE_NAME, message: `no reply within ${this.opTimeoutMs} ms` }, sentAt, endAt };
        }
        if (!(err instanceof ReplayNetworkError)) throw err;
        // As on the driver path: a write is retried only when it never reached the server.
        const retryable = options.retry || !err.sent;
        if (retryable && attempt < RETRY_DELAYS_MS.length) {
          await sleep(RETRY_DELAYS_MS[attempt]!);
          continue;
        }
        if (retryable) {
          this.down = `target down since ${new Date().toISOString()}: ${firstLine(err.message)}`;
          return { kind: 'unavailable', reason: this.down };
        }
        return { kind: 'unavailable', reason: `connection lost during a write: ${firstLine(err.message)}` };
      }
    }
  }

  private db(name: string): Db {
    let d = this.dbs.get(name);
    if (!d) this.dbs.set(name, (d = this.client.db(name)));
    return d;
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) await s.endSession().catch(() => undefined);
    this.sessions.clear();
    this.wire?.close();
    await this.client.close(true).catch(() => undefined);
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new OpTimeout()), this.opTimeoutMs);
    });
    p.catch(() => undefined); // the loser of the race must not become an unhandled rejection
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }
}

/**
 * The last command serialised, and its bytes: one operation is sent to every target in
 * a row with the same command object (send.ts rewriteAll), so the second and later
 * targets reuse the bytes. Commands are never changed once built, so identity is enough.
 */
let lastCommand: BSON.Document | undefined;
let lastBytes: Uint8Array | undefined;
function serializeOnce(command: BSON.Document): Uint8Array {
  if (command !== lastCommand) {
    lastBytes = BSON.serialize(command);
    lastCommand = command;
  }
  return lastBytes!;
}

/**
 * Where the wire transport can send this target's commands (the host of a single-host
 * URI, or the primary a replica set's hello names), or why the target needs the driver.
 */
export function wireRoute(uri: string, hello: BSON.Document): { host: string; port: number } | string {
  const cs = new ConnectionString(uri);
  const p = cs.searchParams;
  if (cs.username || p.has('authMechanism')) return 'needs authentication, which the wire transport does not speak';
  if (/^(true|1)$/i.test(p.get('tls') ?? p.get('ssl') ?? '') || cs.isSRV) return 'uses TLS or an SRV record';
  if (p.has('compressors')) return 'asks for compression';
  if (/^(true|1)$/i.test(p.get('loadBalanced') ?? '')) return 'is behind a load balancer';
  let address: string | undefined;
  if (typeof hello.setName === 'string') address = typeof hello.primary === 'string' ? hello.primary : undefined;
  else if (cs.hosts.length === 1) address = cs.hosts[0];
  if (address === undefined) return typeof hello.setName === 'string' ? 'has no primary' : 'lists several hosts (mongos)';
  const colon = address.lastIndexOf(':');
  const hasPort = colon > 0 && !address.endsWith(']');
  const host = (hasPort ? address.slice(0, colon) : address).replace(/^\[|\]$/g, '');
  const port = hasPort ? Number(address.slice(colon + 1)) : 27017;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return `has an unusable address ${address}`;
  return { host, port };
}

/**
 * An ok reply of the wire transport, kept as its bytes: the outcome digests them
 * (raw-reply.ts) and decodes the reply only when it keeps it in full (targets disagree)
 * or a cursor reads it. A body that walks as BSON but does not decode (invalid UTF-8 in
 * a string) is decoded with the replacement character instead of failing the run.
 */
export class WireReply {
  readonly kind = 'ok' as const;
  private doc?: BSON.Document;

  constructor(
    readonly raw: Uint8Array,
    private readonly address: string,
    readonly sentAt: number,
    readonly endAt: number,
  ) {}

  get reply(): BSON.Document {
    if (!this.doc) {
      try {
        this.doc = decodeReplyBody(this.raw, this.address);
      } catch {
        this.doc = BSON.deserialize(this.raw, LENIENT_REPLY);
      }
    }
    return this.doc;
  }
}

const LENIENT_REPLY = Object.freeze({ ...DRIVER_REPLY, validation: { utf8: false } } as const);

class OpTimeout extends Error {}

function errorOf(err: unknown): OutcomeError {
  const e = err as { code?: unknown; codeName?: unknown; errmsg?: unknown; message?: unknown };
  // With promoteValues off the server's code arrives as an Int32, not a number.
  const code = numeric(e.code);
  return {
    ...(code !== undefined ? { code } : {}),
    ...(typeof e.codeName === 'string' ? { codeName: e.codeName } : {}),
    message: typeof e.errmsg === 'string' ? e.errmsg : String(e.message ?? err),
  };
}

function isZero(ok: unknown): boolean {
  return numeric(ok) === 0;
}

/** A number, or the value of a numeric BSON class (Int32, Double, Long). */
function numeric(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : v !== null && typeof v === 'object' ? Number((v as { valueOf(): unknown }).valueOf()) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** The fields the driver's MongoServerError carries, from an `ok: 0` reply. */
function serverErrorOf(reply: BSON.Document): OutcomeError {
  const code = numeric(reply.code);
  return {
    ...(code !== undefined ? { code } : {}),
    ...(typeof reply.codeName === 'string' ? { codeName: reply.codeName } : {}),
    message: typeof reply.errmsg === 'string' ? reply.errmsg : 'command failed',
  };
}

function isConnectionError(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name ?? '';
  return /MongoNetwork|MongoServerSelection|MongoTopologyClosed|MongoPoolClosed|MongoNotConnected/.test(name);
}

function isSelectionError(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'MongoServerSelectionError';
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 200);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
