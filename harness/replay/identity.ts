import { randomBytes } from 'node:crypto';
import ConnectionString from 'mongodb-connection-string-url';
import { MongoClient, type Db } from 'mongodb';
import type { IdentityCheckRecord, IdentityMatch, IdentityRole, ServerIdentity } from '../model/run/identity.ts';
import { hostsOf, normaliseHost } from './safety.ts';

export type { IdentityCheckRecord, IdentityMatch, ServerIdentity } from '../model/run/identity.ts';

/**
 * Are two connections one server? Addresses cannot tell: a load balancer, a DNS alias,
 * a port-forward or an SSH tunnel puts the capture's source (or another target) behind
 * an address of its own. So before writes are replayed, every target is proved to be a
 * different server from the capture's source and from every other target, two ways:
 *
 * - identities the server tells about itself: `hello.topologyVersion.processId`
 *   (MongoDB 4.4+, one per process), `serverStatus` host + pid (with the process start
 *   time derived from uptime, so two hosts that happen to share a name and pid do not
 *   match), and a replica set's name together with at least one shared member;
 * - a canary: a random document written through each target into a dedicated
 *   collection and looked for through every other connection. Whatever the server
 *   exposes or hides, a connection that sees the canary reaches the same data.
 *   Canaries are written only when writes are allowed (the source is never written:
 *   it is only read) and removed afterwards.
 */

/** The database and collection prefix of the canaries; one collection per check, dropped after it. */
export const CANARY_DB = 'mongo_compat_guard';

/** How far apart two start times derived from uptime may be and still be one process. */
const START_SLACK_MS = 5_000;

/** Pure: why two identities are one server, or undefined when nothing says so. */
export function identityMatch(a: ServerIdentity, b: ServerIdentity): string | undefined {
  if (a.processId && b.processId && a.processId === b.processId) return `same server process (hello processId ${a.processId})`;
  if (a.host !== undefined && a.pid !== undefined && a.host === b.host && a.pid === b.pid) {
    const close = a.startedAtMs === undefined || b.startedAtMs === undefined || Math.abs(a.startedAtMs - b.startedAtMs) <= START_SLACK_MS;
    if (close) return `same server process (serverStatus host ${a.host}, pid ${a.pid})`;
  }
  if (a.setName !== undefined && a.setName === b.setName) {
    const mine = new Set(a.members);
    const shared = b.members.find((m) => mine.has(m));
    if (shared) return `same replica set ${a.setName} (member ${shared})`;
  }
  return undefined;
}

/** Reads what a server tells about itself; what it does not answer stays undefined. */
export async function readIdentity(db: Db): Promise<ServerIdentity> {
  const hello = await db.command({ hello: 1 });
  const tv = hello.topologyVersion as { processId?: { toHexString?: () => string } } | undefined;
  const processId = typeof tv?.processId?.toHexString === 'function' ? tv.processId.toHexString() : undefined;
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const members = [...list(hello.hosts), ...list(hello.passives), ...list(hello.arbiters), ...(typeof hello.me === 'string' ? [hello.me] : [])].map(normaliseHost);
  let host: string | undefined;
  let pid: number | undefined;
  let startedAtMs: number | undefined;
  try {
    // serverStatus needs clusterMonitor on an authenticated deployment: optional.
    const s = await db.command({ serverStatus: 1, repl: 0, metrics: 0, locks: 0, wiredTiger: 0, opcounters: 0 });
    if (typeof s.host === 'string') host = s.host.toLowerCase();
    const p: unknown = s.pid;
    if (typeof p === 'number' || typeof p === 'bigint') pid = Number(p);
    else if (p && typeof p === 'object' && 'toNumber' in p && typeof p.toNumber === 'function') pid = Number((p as { toNumber: () => number }).toNumber());
    const up = Number(s.uptimeMillis as unknown);
    if (s.localTime instanceof Date && Number.isFinite(up)) startedAtMs = s.localTime.getTime() - up;
  } catch {
    // not exposed or not allowed: the other checks stand
  }
  return {
    ...(processId ? { processId } : {}),
    ...(host !== undefined ? { host } : {}),
    ...(pid !== undefined ? { pid } : {}),
    ...(startedAtMs !== undefined ? { startedAtMs } : {}),
    ...(typeof hello.setName === 'string' ? { setName: hello.setName } : {}),
    members,
  };
}

/** One connection taking part in the check. */
export interface IdentityEndpoint {
  /** `source` or the target's name. */
  readonly name: string;
  readonly display: string;
  readonly role: IdentityRole;
  readonly db: (name: string) => Db;
  /** Known not to answer (write-guard.ts probes the source first): recorded as unchecked with this reason, not asked. */
  readonly unreachable?: string;
}

export interface IdentityCheckOptions {
  readonly canary: boolean;
  readonly timeoutMs?: number;
}

/**
 * Compares every endpoint with every other. Endpoints that do not answer are recorded
 * as unchecked (a source behind authentication or a firewall is common); a target
 * that cannot take a canary (no write permission on the guard database) is recorded
 * with the reason, and the identities still stand for it.
 */
export async function checkIdentities(endpoints: readonly IdentityEndpoint[], options: IdentityCheckOptions): Promise<IdentityCheckRecord> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const ids = new Map<string, ServerIdentity>();
  const unchecked = new Map<string, string>();
  await Promise.all(
    endpoints.map(async (e) => {
      if (e.unreachable !== undefined) {
        unchecked.set(e.name, e.unreachable);
        return;
      }
      try {
        ids.set(e.name, await withTimeout(readIdentity(e.db('admin')), timeoutMs, `${e.name}: no answer to hello in ${timeoutMs} ms`));
      } catch (err) {
        unchecked.set(e.name, firstLine(err));
      }
    }),
  );
  const live = endpoints.filter((e) => !unchecked.has(e.name));
  const matches: IdentityMatch[] = [];
  const seen = new Set<string>();
  const add = (a: IdentityEndpoint, b: IdentityEndpoint, by: string): void => {
    const key = [a.name, b.name].sort().join('\u0000');
    if (seen.has(key)) return;
    seen.add(key);
    // The source first, then the order given: the message names the pair the way the user wrote it.
    const [x, y] = b.role === 'source' ? [b, a] : [a, b];
    matches.push({ a: x.name, b: y.name, aDisplay: x.display, bDisplay: y.display, aRole: x.role, bRole: y.role, by });
  };
  const canaryNotes = new Map<string, string>();
  const leftovers: string[] = [];
  if (options.canary) {
    const coll = `canary_${randomBytes(6).toString('hex')}`;
    const written = new Map<string, string>();
    const writers = live.filter((e) => e.role !== 'source');
    await Promise.all(
      writers.map(async (e) => {
        const id = randomBytes(16).toString('hex');
        try {
          await withTimeout(e.db(CANARY_DB).collection<{ _id: string }>(coll).insertOne({ _id: id, target: e.name, at: new Date() } as { _id: string }), timeoutMs, `no answer in ${timeoutMs} ms`);
          written.set(e.name, id);
          canaryNotes.set(e.name, 'written');
        } catch (err) {
          canaryNotes.set(e.name, `not written (${firstLine(err)})`);
        }
      }),
    );
    for (const w of writers) {
      const id = written.get(w.name);
      if (id === undefined) continue;
      const seenBy: string[] = [];
      for (const other of live) {
        if (other === w) continue;
        try {
          const found = await withTimeout(other.db(CANARY_DB).collection<{ _id: string }>(coll).findOne({ _id: id }), timeoutMs, `no answer in ${timeoutMs} ms`);
          if (found) {
            seenBy.push(other.name);
            add(w, other, `a canary written through ${w.name} was read back through ${other.name}`);
          }
        } catch (err) {
          // The source may refuse reads without credentials; say so for that pair.
          const note = canaryNotes.get(other.name);
          if (other.role === 'source' && !note) canaryNotes.set(other.name, `not readable (${firstLine(err)})`);
        }
      }
      if (seenBy.length > 0) canaryNotes.set(w.name, `written, seen through ${seenBy.join(', ')}`);
    }
    for (const w of writers) {
      if (!written.has(w.name)) continue;
      try {
        const db = w.db(CANARY_DB);
        await withTimeout(db.collection(coll).drop().catch(() => false), timeoutMs, `no answer in ${timeoutMs} ms`);
        // The guard database is ours: drop it when no other check's collection is in it.
        const rest = await withTimeout(db.listCollections({}, { nameOnly: true }).toArray(), timeoutMs, `no answer in ${timeoutMs} ms`);
        if (rest.length === 0) await withTimeout(db.dropDatabase(), timeoutMs, `no answer in ${timeoutMs} ms`);
      } catch (err) {
        leftovers.push(`${w.name}: ${CANARY_DB}.${coll} (${firstLine(err)})`);
      }
    }
  }

  // After the canaries: a canary is the stronger proof, so its line is the one told.
  let pairs = 0;
  for (let i = 0; i < live.length; i++) {
    for (let j = i + 1; j < live.length; j++) {
      const a = live[i]!;
      const b = live[j]!;
      if (a.role === 'source' && b.role === 'source') continue;
      pairs++;
      const why = identityMatch(ids.get(a.name)!, ids.get(b.name)!);
      if (why) add(a, b, why);
    }
  }

  return {
    canary: options.canary,
    endpoints: endpoints.map((e) => {
      const id = ids.get(e.name);
      const why = unchecked.get(e.name);
      const note = canaryNotes.get(e.name);
      return {
        name: e.name,
        role: e.role,
        uri: e.display,
        ...(why ? { unchecked: why } : {}),
        ...(id ? { identity: { ...id, members: [...id.members] } } : {}),
        ...(note ? { canaryNote: note } : {}),
      };
    }),
    pairs,
    matches,
    leftovers,
  };
}

/**
 * A connection string for the capture's source as its header names it: the hosts and
 * the options of a redacted URI, without credentials (the header never has them), or
 * a host list. Undefined when the header names no host.
 */
export function sourceUri(headerHost: string | undefined): string | undefined {
  const hosts = hostsOf(headerHost);
  if (hosts.length === 0) return undefined;
  let query = '';
  if (headerHost && /^mongodb:\/\//i.test(headerHost.trim())) {
    try {
      const cs = new ConnectionString(headerHost.trim());
      cs.username = '';
      cs.password = '';
      const p = cs.searchParams;
      for (const k of ['authSource', 'authMechanism', 'authMechanismProperties']) p.delete(k);
      query = p.toString();
    } catch {
      query = '';
    }
  } else if (headerHost && /^mongodb\+srv:\/\//i.test(headerHost.trim())) {
    return undefined;
  }
  if (hosts.length === 1 && !/directConnection=|replicaSet=/i.test(query)) query = query ? `${query}&directConnection=true` : 'directConnection=true';
  return `mongodb://${hosts.join(',')}/${query ? `?${query}` : ''}`;
}

/** A short-lived client for the source: read-only use, quick to give up. */
export function sourceClient(uri: string, timeoutMs: number): MongoClient {
  return new MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs * 2,
    maxPoolSize: 2,
    retryReads: false,
    retryWrites: false,
    appName: 'mongo-compat-identity',
  });
}

/** The one line a refusal or a warning says. */
export function matchLine(m: IdentityMatch): string {
  const who = (name: string, display: string, role: IdentityEndpoint['role']) => (role === 'source' ? `the capture's source (${display})` : `target ${name} (${display})`);
  return `${who(m.a, m.aDisplay, m.aRole)} and ${who(m.b, m.bDisplay, m.bRole)} are one server: ${m.by}`;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
