import ConnectionString from 'mongodb-connection-string-url';
import { BSON, MongoClient, type Db, type Document } from 'mongodb';
import { isOk, WirePool } from '../replay/wire-pool.ts';
import { bsonElement } from '../wire/index.ts';

/**
 * How the contention workers reach a server. The measured operations go through a
 * WorkerSession; seeding and the invariant check keep the driver (they are outside the
 * window).
 *
 * `wire` (the default) sends each command as one OP_MSG on the replay's own pooled
 * sockets (harness/replay/wire-pool.ts): no server selection, no implicit sessions, no
 * per-operation options objects. Measured against the bench's stand-in server at 64
 * workers, the driver path cost 151 µs of harness CPU per findAndModify, which capped
 * the bench at about 8,000 ops/s on this machine: a real MongoDB serving 10–30k/s would
 * have measured the harness. `driver` keeps the `mongodb` driver for what the wire pool
 * does not do (credentials, TLS, SRV, several hosts); such targets fall back to it.
 */
export const TRANSPORTS = Object.freeze(['wire', 'driver'] as const);
export type TransportName = (typeof TRANSPORTS)[number];
export const DEFAULT_TRANSPORT: TransportName = 'wire';

export interface FindAndModifySpec {
  readonly query: Document;
  readonly update: Document;
  readonly sort?: Document;
  readonly upsert?: boolean;
}

/** The operations the workloads' workers send, whatever carries them. */
export interface WorkerSession {
  /** findAndModify returning the document after the update, or null when nothing matched. */
  findAndModify(collection: string, spec: FindAndModifySpec): Promise<Document | null>;
  /** update of one document; resolves with the number matched. */
  updateOne(collection: string, filter: Document, update: Document, upsert?: boolean): Promise<number>;
  insertMany(collection: string, docs: readonly Document[]): Promise<void>;
  findOne(collection: string, filter: Document, sort?: Document): Promise<Document | null>;
}

/** A server's refusal on the wire path, named like the driver's MongoServerError (code, codeName). */
export class ServerCommandError extends Error {
  readonly code: number | undefined;
  readonly codeName: string | undefined;

  constructor(reply: Document) {
    super(typeof reply.errmsg === 'string' ? reply.errmsg : 'command failed');
    this.name = 'ServerCommandError';
    this.code = reply.code === undefined ? undefined : Number(reply.code);
    this.codeName = typeof reply.codeName === 'string' ? reply.codeName : undefined;
  }
}

/** The workers' connections to one target: `pools` separate pools (batch servers), sessions over them. */
export interface WorkerTransport {
  readonly name: TransportName;
  /** Why this transport, when it is not the one asked for. */
  readonly note?: string;
  session(worker: number, dbName: string): WorkerSession;
  close(): Promise<void>;
}

export interface OpenTransportOptions {
  readonly uri: string;
  readonly transport: TransportName;
  /** Separate pools (simulated batch servers); worker i uses pool i % pools. */
  readonly pools: number;
  /** Connections per pool: one per worker. */
  readonly poolSize: number;
}

/** The host and port of a URI the wire pool can serve, or the reason it cannot. */
export function wireAddress(uri: string): { host: string; port: number } | { reason: string } {
  let cs: ConnectionString;
  try {
    cs = new ConnectionString(uri);
  } catch {
    return { reason: 'the connection string does not parse' };
  }
  if (cs.isSRV) return { reason: 'mongodb+srv needs the driver' };
  if (cs.username || cs.password) return { reason: 'credentials need the driver' };
  const params = cs.searchParams;
  for (const key of ['tls', 'ssl']) if (params.get(key) === 'true') return { reason: 'TLS needs the driver' };
  if (params.get('authMechanism')) return { reason: 'authentication needs the driver' };
  if (cs.hosts.length !== 1) return { reason: `${cs.hosts.length} hosts need the driver's server selection` };
  const host = cs.hosts[0]!;
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(host) ?? /^([^:]+)(?::(\d+))?$/.exec(host);
  if (!m) return { reason: `host '${host}' is not host:port` };
  return { host: m[1]!, port: m[2] ? Number(m[2]) : 27017 };
}

export async function openTransport(o: OpenTransportOptions): Promise<WorkerTransport> {
  if (o.transport === 'wire') {
    const address = wireAddress(o.uri);
    if ('host' in address) return openWire(address, o);
    return openDriver(o, `driver (asked for wire: ${address.reason})`);
  }
  return openDriver(o);
}

async function openDriver(o: OpenTransportOptions, note?: string): Promise<WorkerTransport> {
  const clients = Array.from({ length: o.pools }, () => new MongoClient(o.uri, { maxPoolSize: o.poolSize, serverSelectionTimeoutMS: 10_000 }));
  try {
    await Promise.all(clients.map((c) => c.connect()));
  } catch (err) {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    throw err;
  }
  return {
    name: 'driver',
    note,
    session: (worker, dbName) => driverSession(clients[worker % clients.length]!.db(dbName)),
    close: async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    },
  };
}

/** The driver's collection API behind a WorkerSession. */
export function driverSession(db: Db): WorkerSession {
  return {
    findAndModify: (c, s) => db.collection(c).findOneAndUpdate(s.query, s.update, { sort: s.sort, upsert: s.upsert, returnDocument: 'after' }),
    updateOne: async (c, filter, update, upsert) => (await db.collection(c).updateOne(filter, update, { upsert })).matchedCount,
    insertMany: async (c, docs) => {
      await db.collection(c).insertMany(docs as Document[], { ordered: false });
    },
    findOne: (c, filter, sort) => db.collection(c).findOne(filter, sort ? { sort } : {}),
  };
}

async function openWire(address: { host: string; port: number }, o: OpenTransportOptions): Promise<WorkerTransport> {
  const pools = Array.from(
    { length: o.pools },
    () => new WirePool({ ...address, maxPoolSize: o.poolSize, connectTimeoutMs: 10_000, opTimeoutMs: 60_000, appName: 'mongo-compat bench contention' }),
  );
  try {
    // Handshakes before the first step, not inside a measured window.
    await Promise.all(pools.map((p) => p.warm(o.poolSize)));
    await pools[0]!.command({ ping: 1, $db: 'admin' });
  } catch (err) {
    for (const p of pools) p.close();
    throw err;
  }
  const dbElements = new Map<string, Uint8Array>();
  return {
    name: 'wire',
    session: (worker, dbName) => {
      let db = dbElements.get(dbName);
      if (!db) dbElements.set(dbName, (db = bsonElement('$db', dbName)));
      return wireSession(pools[worker % pools.length]!, db);
    },
    close: async () => {
      for (const p of pools) p.close();
    },
  };
}

/** Replies keep BSON number classes (Int32, Double): read counts through this. */
function num(value: unknown): number {
  return value === undefined || value === null ? 0 : Number((value as { valueOf(): unknown }).valueOf());
}

function checked(reply: Document): Document {
  if (!isOk(reply)) throw new ServerCommandError(reply);
  const writeErrors = reply.writeErrors as Document[] | undefined;
  if (writeErrors && writeErrors.length > 0) throw new ServerCommandError({ ...writeErrors[0], errmsg: writeErrors[0]!.errmsg });
  return reply;
}

/**
 * Commands as the driver would send them for the same calls, built as plain objects
 * and serialised once each; `$db` is appended as pre-built bytes.
 */
export function wireSession(pool: WirePool, db: Uint8Array): WorkerSession {
  const elements = [db];
  const send = async (cmd: Document) => checked(await pool.commandWith(BSON.serialize(cmd), elements));
  return {
    async findAndModify(c, s) {
      const cmd: Document = { findAndModify: c, query: s.query, update: s.update, new: true };
      if (s.sort) cmd.sort = s.sort;
      if (s.upsert) cmd.upsert = true;
      const reply = await send(cmd);
      return (reply.value as Document | null | undefined) ?? null;
    },
    async updateOne(c, filter, update, upsert) {
      const reply = await send({ update: c, updates: [{ q: filter, u: update, upsert: upsert === true, multi: false }], ordered: true });
      const upserted = reply.upserted as unknown[] | undefined;
      return num(reply.n) - (upserted?.length ?? 0);
    },
    async insertMany(c, docs) {
      await send({ insert: c, documents: docs, ordered: false });
    },
    async findOne(c, filter, sort) {
      const cmd: Document = { find: c, filter, limit: 1, singleBatch: true };
      if (sort) cmd.sort = sort;
      const reply = await send(cmd);
      return ((reply.cursor as Document | undefined)?.firstBatch as Document[] | undefined)?.[0] ?? null;
    },
  };
}
