import { connect } from 'node:net';
import type { MongoClient } from 'mongodb';
import { SameServerError, WriteToSourceError } from '../errors.ts';
import { hostsOf, sourceMatch } from './safety.ts';
import { checkIdentities, matchLine, sourceClient, sourceUri, type IdentityCheckRecord, type IdentityEndpoint } from './identity.ts';
import type { LiveTarget } from './target.ts';
import { redactUri } from '../targets/redact.ts';

/**
 * The write guard of a replay. With writes allowed, every target must be proved a
 * different server from the capture's source and from every other target (by address,
 * by the identities servers tell, and by canaries: identity.ts); a match refuses the
 * run in one line naming both. Without writes nothing is written: the targets'
 * identities are compared and a match becomes a note (the report shows notes) —
 * replaying reads twice on one server is allowed, only worth knowing.
 */
export interface WriteGuardResult {
  readonly record: IdentityCheckRecord;
  readonly notes: readonly string[];
}

/**
 * Where the traffic came from: a capture header's source host and replica set, or, for
 * live traffic (shadow), the upstream's own connection string (credentials included, so
 * its identity can be read).
 */
export interface GuardSource {
  readonly host?: string;
  readonly replicaSet?: string;
  readonly uri?: string;
}

/** The sources of capture files, from their headers. */
export function captureSources(headers: readonly { source: { host?: string }; replicaSet?: string }[]): GuardSource[] {
  return headers.map((h) => ({ ...(h.source.host !== undefined ? { host: h.source.host } : {}), ...(h.replicaSet !== undefined ? { replicaSet: h.replicaSet } : {}) }));
}

/** How long the capture's source may take to answer before it counts as unreachable. */
const SOURCE_TIMEOUT_MS = 2_000;
/** How long a TCP connection to a source host may take before the driver is left to decide. */
const PROBE_MS = 500;

/**
 * Why no host of a source can be reached, when every one says so at once: the
 * connection refused (a clone's capture replayed where production is not running), a
 * name that does not resolve, no route. Undefined when a host accepts the connection or
 * does not answer within PROBE_MS (a firewall that drops): the driver decides then, as
 * before, within SOURCE_TIMEOUT_MS.
 */
export async function refusedEverywhere(hosts: readonly string[]): Promise<string | undefined> {
  if (hosts.length === 0) return undefined;
  const answers = await Promise.all(hosts.map((h) => connectOnce(h)));
  if (answers.some((a) => a === 'accepted' || a === 'unknown')) return undefined;
  return `no host accepts a connection (${answers.join('; ')})`;
}

/**
 * `accepted`, `unknown` (no answer within PROBE_MS, or a Unix socket path, which the
 * driver reaches and a TCP probe cannot), or the error's message (`connect ECONNREFUSED 127.0.0.1:27017`).
 */
function connectOnce(hostPort: string): Promise<string> {
  const m = /^\[(.*)\](?::(\d+))?$/.exec(hostPort) ?? /^([^:]*)(?::(\d+))?$/.exec(hostPort);
  if (!m || /\/|%2f|\.sock$/i.test(hostPort)) return Promise.resolve('unknown');
  const host = m[1]!;
  const port = m[2] ? Number(m[2]) : 27017;
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (answer: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done('unknown'), PROBE_MS);
    socket.once('connect', () => done('accepted'));
    socket.once('error', (err) => done(firstLine(err.message)));
  });
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 200);
}

export async function writeGuard(
  live: readonly LiveTarget[],
  sources: readonly GuardSource[],
  allowWrites: boolean,
  log: (line: string) => void,
  timeoutMs = 5_000,
): Promise<WriteGuardResult> {
  if (allowWrites) {
    // Addresses first: no I/O, and the clearest message when the source is named outright.
    for (const t of live) {
      for (const h of sources) {
        const why = sourceMatch({ host: h.host ?? h.uri, replicaSet: h.replicaSet }, { setName: t.setName, hosts: [...t.hosts, ...hostsOf(t.info.uri)] });
        if (why) throw new WriteToSourceError(`refusing --allow-writes: target ${t.name} (${t.info.displayUri}) is the capture's source: ${why}`);
      }
    }
  }
  const endpoints: IdentityEndpoint[] = live.map((t) => ({ name: t.name, display: t.info.displayUri, role: t.info.role, db: (n: string) => t.client.db(n) }));
  const uris = allowWrites ? [...new Set(sources.map((h) => h.uri ?? sourceUri(h.host)).filter((u): u is string => u !== undefined))] : [];
  // A source that refuses at once is not handed to the driver, which would wait SOURCE_TIMEOUT_MS to say so.
  const refused = await Promise.all(uris.map((u) => refusedEverywhere(hostsOf(u))));
  const clients: MongoClient[] = [];
  uris.forEach((u, i) => {
    const name = uris.length === 1 ? 'source' : `source ${i + 1}`;
    const why = refused[i];
    if (why !== undefined) {
      const unanswered = (): never => {
        throw new Error(why);
      };
      endpoints.push({ name, display: redactUri(u), role: 'source', db: unanswered, unreachable: why });
      return;
    }
    const c = sourceClient(u, SOURCE_TIMEOUT_MS);
    clients.push(c);
    endpoints.push({ name, display: redactUri(u), role: 'source', db: (n: string) => c.db(n) });
  });
  let record: IdentityCheckRecord;
  try {
    record = await checkIdentities(endpoints, { canary: allowWrites, timeoutMs });
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }
  const notes: string[] = [];
  for (const e of record.endpoints) if (e.unchecked && e.role === 'source') log(`write guard: the capture's source ${e.uri} was not reachable (${e.unchecked}); targets are compared with each other only`);
  for (const l of record.leftovers) notes.push(`write guard: a canary could not be removed: ${l}`);
  const first = record.matches[0];
  if (first) {
    const line = matchLine(first);
    if (allowWrites) {
      if (first.aRole === 'source' || first.bRole === 'source') throw new WriteToSourceError(`refusing --allow-writes: ${line}`);
      throw new SameServerError(`refusing --allow-writes: ${line}`);
    }
    for (const m of record.matches) {
      const n = `warning: ${matchLine(m)}; their outcomes are not independent`;
      notes.push(n);
      log(n);
    }
  }
  const unwritten = record.endpoints.filter((e) => e.canaryNote?.startsWith('not written'));
  if (allowWrites && unwritten.length > 0) notes.push(`write guard: no canary on ${unwritten.map((e) => `${e.name} (${e.canaryNote})`).join(', ')}; server identities only`);
  return { record, notes };
}
