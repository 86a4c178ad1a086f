import { commandKey } from '../../model/command-name.ts';

/**
 * Operations the server runs itself, which no application sent and a replay must not
 * send: by the thread that logged them, the namespace they touch, the command, or the
 * user they ran as. The kind goes to `stats.internal` and the ingest summary.
 *
 * Threads: logv2's `ctx` (4.4+) and the text log's `[ctx]` (4.0/4.2) are the thread
 * name; client operations always run on `conn<N>` (transport layer
 * `service_state_machine.cpp` names the thread after the session). Server threads
 * name themselves (`TTLMonitor` in ttl.cpp, `LogicalSessionCacheRefresh`/`…Reap` in
 * logical_session_cache_impl.cpp, `IndexBuildsCoordinatorMongod-N`, `rsBackgroundSync`,
 * `ReplWriterWorker-N`, `OplogApplier-N`, `Balancer`, `initandlisten` at startup, …).
 */
const THREAD_KINDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/ttl/i, 'ttl'],
  [/LogicalSessionCache|sessionCatalog/i, 'session-cache'],
  [/index ?build/i, 'index-build'],
  [/^(rs|repl|oplog|BackgroundSync|SyncSourceFeedback|ApplyBatchFinalizer|ReplBatcher|ReplCoord|OplogApplier|OplogFetcher|ReplWriterWorker|replexec)/i, 'replication'],
  [/balancer|ShardRegistry|CatalogCache|ConfigServer|monitoring-keys-for-HMAC|migrat|range.?delet|ChunkSplitter|sharding|Shard/i, 'sharding'],
  [/^initandlisten$/, 'startup'],
];

/** Client connections: `conn123`. */
const CLIENT_THREAD = /^conn\d+$/;

/**
 * Commands only servers send each other: replica-set heartbeats and votes, chunk
 * migration and splitting, and every `_`-prefixed internal command (`_shardsvr…`,
 * `_configsvr…`, `_recvChunk…`, `_transferMods`, `_flushRoutingTableCacheUpdates`).
 */
const INTERNAL_COMMANDS: ReadonlyMap<string, string> = new Map([
  ['replsetheartbeat', 'replication'],
  ['replsetupdateposition', 'replication'],
  ['replsetrequestvotes', 'replication'],
  ['movechunk', 'sharding'],
  ['splitchunk', 'sharding'],
  ['mergechunks', 'sharding'],
]);

/** What the rules read of an operation: the logging thread (logs) and the user (profiler). */
export interface OperationOrigin {
  readonly ctx?: string;
  readonly user?: string;
}

export function internalKindOf(op: OperationOrigin, cmd: string, db: string, coll: string | undefined): string | undefined {
  if (op.ctx !== undefined && !CLIENT_THREAD.test(op.ctx)) {
    for (const [re, kind] of THREAD_KINDS) if (re.test(op.ctx)) return kind;
    return 'server-thread';
  }
  // Session records: the session cache refreshes and reaps them (logical_session_cache_impl.cpp).
  if (db === 'config' && coll === 'system.sessions') return 'session-cache';
  // `local` holds the oplog and replica-set state: applications do not read it, secondaries do.
  if (db === 'local') return 'replication';
  // Sharding metadata (config.chunks, config.collections, config.locks, …) and the HMAC keys.
  if (db === 'config' || (db === 'admin' && coll === 'system.keys')) return 'sharding';
  if (cmd.startsWith('_')) return 'sharding';
  const byCmd = INTERNAL_COMMANDS.get(commandKey(cmd));
  if (byCmd) return byCmd;
  // The profiler names the user: the server's own operations run as `__system` (internal auth).
  if (op.user !== undefined && /^__system(@|$)/.test(op.user)) return 'internal-user';
  return undefined;
}

/**
 * Whether a connection's client metadata (the hello's `client` document, logged as
 * "received client metadata" / id 51800) says a server opened it: the executor's
 * `NetworkInterfaceTL`/`NetworkInterfaceASIO` (network_interface_tl.cpp), a
 * `DBClientConnection` ("MongoDB Internal Client", dbclient_connection.cpp; the legacy
 * `mongo` shell uses it too, with application "MongoDB Shell": that one is a person),
 * or a driver or application named mongod/mongos.
 */
export function internalClientKind(metadata: Record<string, unknown>): string | undefined {
  const driver = nameOf(metadata.driver);
  const app = nameOf(metadata.application);
  if (driver !== undefined && /^NetworkInterface/.test(driver)) return 'internal-client';
  if (driver === 'MongoDB Internal Client' && app !== 'MongoDB Shell') return 'internal-client';
  if ((driver !== undefined && /^mongo[ds]$/i.test(driver)) || (app !== undefined && /^mongo[ds]$/i.test(app))) return 'internal-client';
  return undefined;
}

function nameOf(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const name = (v as Record<string, unknown>).name;
  return typeof name === 'string' ? name : undefined;
}
