import type { BSON } from 'mongodb';
import { commandKey } from './command-name.ts';

/**
 * Commands that describe the server rather than answer the application: their replies
 * differ between any two versions (or processes) by design (version strings, feature
 * and command lists, parameters, sizes, counters, uptimes), so a reply difference says
 * nothing about the application's compatibility. They are still replayed (an app that
 * calls them must get an answer), and compare judges only whether each side succeeded:
 * a failure on the candidate where the baseline succeeded stays a `new-error`. Their
 * reply differences go to the report's "Server differences" section (server-diff.ts).
 *
 * Written from MongoDB's command reference (Reference > Database Commands), keeping the
 * read-only commands of each section whose reply is a description of the server, the
 * deployment or its storage:
 * - "Diagnostic Commands": every command of the section except `driverOIDTest` (a pure
 *   function of its argument) and `dbHash` (a fingerprint of the data: a difference there
 *   is the data's, and pre-flight relies on it for exactly that).
 * - "Administration Commands": `currentOp`, `getAuditConfig`, `getClusterParameter`,
 *   `getDefaultRWConcern`, `getParameter` (the rest of the section changes collections).
 * - "Replication Commands": `hello` and `isMaster` (legacy `ismaster`) outside the
 *   connection handshake (the replayer skips the handshake itself), `replSetGetConfig`,
 *   `replSetGetStatus`.
 * - "Sharding Commands": the read-only status commands `balancerCollectionStatus`,
 *   `balancerStatus`, `getShardMap`, `getShardVersion`, `isdbgrid`, `listShards`,
 *   `shardingState`.
 * - "Free Monitoring Commands": `getFreeMonitoringStatus`.
 * - "Aggregation Stages": pipelines that open with a stage reporting on the server
 *   (`$collStats`, `$currentOp`, `$indexStats`, `$listLocalSessions`, `$listSessions`,
 *   `$planCacheStats`, `$shardedDataDistribution`); each must be a pipeline's first stage.
 *
 * Keys are lookup keys (model/command-name.ts `commandKey`, lower case): names are
 * matched case-insensitively, as the server accepts `buildinfo` and `ismaster` and
 * drivers, logs and profilers carry either spelling.
 * The value names the manual's section, for the report and for whoever extends this.
 */
export const SERVER_DESCRIBING_COMMANDS = Object.freeze({
  availablequeryoptions: 'Diagnostic Commands',
  buildinfo: 'Diagnostic Commands',
  collstats: 'Diagnostic Commands',
  connpoolstats: 'Diagnostic Commands',
  connectionstatus: 'Diagnostic Commands',
  datasize: 'Diagnostic Commands',
  dbstats: 'Diagnostic Commands',
  explain: 'Diagnostic Commands', // the plan the server chose: its format changes between versions (explainVersion, SBE)
  features: 'Diagnostic Commands',
  getcmdlineopts: 'Diagnostic Commands',
  getlog: 'Diagnostic Commands',
  hostinfo: 'Diagnostic Commands',
  _isself: 'Diagnostic Commands',
  listcommands: 'Diagnostic Commands',
  lockinfo: 'Diagnostic Commands',
  netstat: 'Diagnostic Commands',
  ping: 'Diagnostic Commands',
  profile: 'Diagnostic Commands',
  serverstatus: 'Diagnostic Commands',
  shardconnpoolstats: 'Diagnostic Commands',
  top: 'Diagnostic Commands',
  validate: 'Diagnostic Commands',
  validatedbmetadata: 'Diagnostic Commands',
  whatsmyuri: 'Diagnostic Commands',
  currentop: 'Administration Commands',
  getauditconfig: 'Administration Commands',
  getclusterparameter: 'Administration Commands',
  getdefaultrwconcern: 'Administration Commands',
  getparameter: 'Administration Commands',
  hello: 'Replication Commands',
  ismaster: 'Replication Commands',
  replsetgetconfig: 'Replication Commands',
  replsetgetstatus: 'Replication Commands',
  balancercollectionstatus: 'Sharding Commands',
  balancerstatus: 'Sharding Commands',
  getshardmap: 'Sharding Commands',
  getshardversion: 'Sharding Commands',
  isdbgrid: 'Sharding Commands',
  listshards: 'Sharding Commands',
  shardingstate: 'Sharding Commands',
  getfreemonitoringstatus: 'Free Monitoring Commands',
} as const);

/** First pipeline stages that make an aggregate a server description (lower case). */
export const SERVER_DESCRIBING_STAGES = Object.freeze({
  $collstats: 'Aggregation Stages',
  $currentop: 'Aggregation Stages',
  $indexstats: 'Aggregation Stages',
  $listlocalsessions: 'Aggregation Stages',
  $listsessions: 'Aggregation Stages',
  $plancachestats: 'Aggregation Stages',
  $shardeddatadistribution: 'Aggregation Stages',
} as const);

const COMMANDS: ReadonlySet<string> = new Set(Object.keys(SERVER_DESCRIBING_COMMANDS));
const STAGES: ReadonlySet<string> = new Set(Object.keys(SERVER_DESCRIBING_STAGES));

/** Whether an operation describes the server (see above); `cmd` is the command name as recorded. */
export function describesServer(cmd: string, command: BSON.Document): boolean {
  const name = commandKey(cmd);
  if (COMMANDS.has(name)) return true;
  if (name !== 'aggregate') return false;
  const first = Array.isArray(command.pipeline) ? (command.pipeline as unknown[])[0] : undefined;
  if (first === null || typeof first !== 'object') return false;
  const stage = Object.keys(first)[0];
  return stage !== undefined && STAGES.has(stage.toLowerCase());
}
