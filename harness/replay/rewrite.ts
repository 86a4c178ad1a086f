import type { BSON } from 'mongodb';

/**
 * Rewrites a recorded command for sending to one target. Pure: the live session,
 * cursor ids and read preference object are applied by the sender from what this
 * returns.
 *
 * - `$clusterTime` is the source cluster's signed gossip: a target would reject it
 *   (or worse, trust it), so it is dropped; the driver gossips the target's own.
 * - `lsid` names a session of the source; it becomes a key by which the sender
 *   finds (or starts) one live session per recorded session and target.
 * - `txnNumber` is kept as recorded: a live session is fresh, and recorded numbers
 *   are already strictly increasing within their session, so they stay consistent.
 * - `$readPreference` is returned apart: kept where the target is a replica set,
 *   dropped with a note on a standalone server (which rejects secondary reads).
 * - `$db` is set by the driver from the database the command is sent to.
 * - With `outsideTransactions` (writes are not replayed), a read of a multi-document
 *   transaction (`autocommit: false`) is sent on its own: `txnNumber`, `autocommit`,
 *   `startTransaction` and a `snapshot` read concern are dropped. The transaction's
 *   writes, and the statement that started it when it was a write, are not replayed, so
 *   inside a transaction on the target the read would fail (`NoSuchTransaction`) or
 *   hold a transaction open that nothing commits; on its own it reads the clone's data.
 */
export interface RewriteOptions {
  /** `--map-db prod=clone`: database renames. */
  readonly mapDb?: ReadonlyMap<string, string>;
  /** Whether the target answers as a replica set member. */
  readonly replicaSet: boolean;
  /** Writes are not replayed: reads of transactions go outside them (see above). */
  readonly outsideTransactions?: boolean;
}

export interface Rewritten {
  readonly db: string;
  readonly command: BSON.Document;
  /** Hex of the recorded `lsid.id`, when the command ran in a session. */
  readonly sessionKey?: string;
  /** The recorded read preference, when it is to be kept. */
  readonly readPreference?: BSON.Document;
  /** What was changed that a reader of the run should know. */
  readonly notes: readonly string[];
}

const DROPPED = new Set(['$clusterTime', '$db', 'lsid', '$readPreference', 'readPreference']);
/** Fields that place a command in a multi-document transaction. */
const TRANSACTION_FIELDS = new Set(['txnNumber', 'autocommit', 'startTransaction']);

export function rewriteCommand(db: string, command: BSON.Document, options: RewriteOptions): Rewritten {
  const notes: string[] = [];
  const mapDb = options.mapDb;
  const out: BSON.Document = {};
  const untxn = options.outsideTransactions === true && command.autocommit === false;
  let first = true;
  for (const key of Object.keys(command)) {
    const value: unknown = command[key];
    if (first) {
      first = false;
      // renameCollection: 'db.coll' namespaces in its argument and in `to`.
      out[key] = key === 'renameCollection' && typeof value === 'string' ? mapNamespace(value, mapDb) : value;
      continue;
    }
    if (DROPPED.has(key)) continue;
    if (untxn && (TRANSACTION_FIELDS.has(key) || (key === 'readConcern' && isSnapshot(value)))) continue;
    if (key === 'to' && typeof value === 'string' && Object.keys(command)[0] === 'renameCollection') {
      out[key] = mapNamespace(value, mapDb);
      continue;
    }
    if (key === 'pipeline' && Array.isArray(value) && mapDb && mapDb.size > 0) {
      out[key] = value.map((stage: unknown) => mapStageDb(stage, mapDb));
      continue;
    }
    out[key] = value;
  }
  const sessionKey = sessionKeyOf(command.lsid);
  let readPreference: BSON.Document | undefined;
  const pref = (command.$readPreference ?? command.readPreference) as BSON.Document | string | undefined;
  if (pref !== undefined && pref !== null) {
    const doc = typeof pref === 'string' ? { mode: pref } : pref;
    if (options.replicaSet) readPreference = doc;
    else if (doc.mode !== 'primary') notes.push(`readPreference ${String(doc.mode)} dropped: target is standalone`);
  }
  if (untxn) notes.push('reads of multi-document transactions sent outside them (their writes are not replayed)');
  return { db: mapDb?.get(db) ?? db, command: out, sessionKey, readPreference, notes };
}

function isSnapshot(readConcern: unknown): boolean {
  return readConcern !== null && typeof readConcern === 'object' && (readConcern as { level?: unknown }).level === 'snapshot';
}

function mapNamespace(ns: string, mapDb: ReadonlyMap<string, string> | undefined): string {
  const dot = ns.indexOf('.');
  if (!mapDb || dot <= 0) return ns;
  const to = mapDb.get(ns.slice(0, dot));
  return to === undefined ? ns : `${to}${ns.slice(dot)}`;
}

/** `$out: {db, coll}` and `$merge: {into: {db, coll}}` name databases too. */
function mapStageDb(stage: unknown, mapDb: ReadonlyMap<string, string>): unknown {
  if (stage === null || typeof stage !== 'object') return stage;
  const s = stage as Record<string, unknown>;
  const target = s.$out ?? (s.$merge as Record<string, unknown> | undefined)?.into;
  if (target === null || typeof target !== 'object' || typeof (target as { db?: unknown }).db !== 'string') return stage;
  const t = target as { db: string };
  const to = mapDb.get(t.db);
  if (to === undefined) return stage;
  if ('$out' in s) return { ...s, $out: { ...t, db: to } };
  return { ...s, $merge: { ...(s.$merge as object), into: { ...t, db: to } } };
}

function sessionKeyOf(lsid: unknown): string | undefined {
  if (lsid === null || typeof lsid !== 'object') return undefined;
  const id = (lsid as { id?: unknown }).id;
  if (id && typeof id === 'object' && 'buffer' in id) {
    const bytes = (id as { buffer: Uint8Array }).buffer;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  }
  return undefined;
}
