/**
 * Reply fields that differ on every call or every server and say nothing about the
 * application's results. This is the one list; the config adds to it per app and per
 * shape (`compare.volatileFields`, `compare.ignorePaths`).
 *
 * Two treatments:
 * - IGNORED_REPLY_FIELDS are removed from the top level of every reply before
 *   comparison (gossip and replication state; a server may or may not send them).
 * - MASKED_PATHS stay in the comparison, but a difference there is reported as
 *   "ignored" and makes the operation at most `equivalent`, never a result difference:
 *   the value is expected to vary, and its presence is still visible in the report.
 */
export const IGNORED_REPLY_FIELDS: readonly string[] = Object.freeze([
  '$clusterTime', // gossiped cluster time (signature + timestamp)
  'operationTime',
  'electionId',
  'opTime',
  'lastCommittedOpTime',
  'localTime', // hello
  'connectionId', // hello
  'lastWrite', // hello on replica sets
  '$gleStats',
  '$configServerState',
  '$topologyTime',
  '$configTime',
  'recoveryToken', // transactions on sharded clusters
]);

/**
 * Paths (see diff.ts for the notation; `[]` matches any array index) whose values vary
 * between servers by design.
 */
export const MASKED_PATHS: readonly string[] = Object.freeze([
  'reply.cursor.id', // every server hands out its own cursor ids
  'reply.ok', // 1 (int) versus 1.0 (double): both mean success
  'reply.topologyVersion', // processId and counter are per process
  'reply.me',
  'reply.hosts',
  'reply.primary',
  'reply.setName',
  'reply.setVersion',
  'error.message', // errmsg wording changes between versions; code and codeName carry meaning
]);

/**
 * Paths whose value depends on how a server stores the data, not on the data:
 * `listDatabases` sizes (`sizeOnDisk` per database, `totalSize`, `totalSizeMb`) differ
 * between any two servers that hold the same documents (file layout, compaction,
 * preallocation, the storage engine itself). A difference of value there is ignored
 * like a masked path; a difference of type (`numeric-type`: an Int64 become a Double
 * between versions) or a database missing still counts, so the list of databases and
 * the reply's shape are still compared.
 */
export const VALUE_MASKED_PATHS: readonly string[] = Object.freeze(['reply.databases[].sizeOnDisk', 'reply.totalSize', 'reply.totalSizeMb']);
