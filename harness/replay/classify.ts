import type { BSON } from 'mongodb';
import { commandKey } from '../model/command-name.ts';
import { SERVER_DESCRIBING_COMMANDS } from '../model/server-commands.ts';

/**
 * What kind of command a record holds, decided from the command name and body alone.
 * Writes are found by an allowlist of reads: anything not known to be read-only is
 * treated as a write, so an unknown admin command is never replayed by accident.
 */
export type CommandKind = 'read' | 'cursor-open' | 'get-more' | 'kill-cursors' | 'write' | 'handshake' | 'hello' | 'session';

/** Commands whose reply opens a cursor (`cursor.id`, `cursor.firstBatch`). */
const CURSOR_OPENERS = new Set(['find', 'aggregate', 'listcollections', 'listindexes']);

const READS = new Set([
  'count',
  'distinct',
  'ping',
  'buildinfo',
  'serverstatus',
  'dbstats',
  'collstats',
  'datasize',
  'dbhash',
  'listdatabases',
  'explain',
  'geonear',
  'connectionstatus',
  'getparameter',
  'getcmdlineopts',
  'hostinfo',
  'getlog',
  'validate',
  'currentop',
  'top',
  'whatsmyuri',
  'getfreemonitoringstatus',
  'features',
]);

/**
 * The server-describing commands (model/server-commands.ts) are read-only by definition,
 * except `profile`, which sets the profiling level unless it only asks for it (`profile: -1`).
 */
const DESCRIBING_READS: ReadonlySet<string> = new Set(Object.keys(SERVER_DESCRIBING_COMMANDS).filter((k) => k !== 'profile'));

/** Connection set-up and authentication: replaying them measures nothing and needs credentials. */
const HANDSHAKE = new Set(['saslstart', 'saslcontinue', 'authenticate', 'getnonce', 'logout', 'speculativeauthenticate']);

/** Fields only a driver's connection handshake or its server monitor puts in `hello`/`isMaster`. */
const HANDSHAKE_HELLO_FIELDS = ['client', 'speculativeAuthenticate', 'saslSupportedMechs', 'topologyVersion', 'maxAwaitTimeMS', 'compression', 'loadBalanced'];

/** Session bookkeeping: sessions are re-created per target, so these are not replayed as recorded. */
const SESSION = new Set(['endsessions', 'startsession', 'refreshsessions', 'killsessions', 'killallsessions']);

export function classify(cmd: string, command: BSON.Document): CommandKind {
  const name = commandKey(cmd);
  if (name === 'getmore') return 'get-more';
  if (name === 'killcursors') return 'kill-cursors';
  if (HANDSHAKE.has(name)) return 'handshake';
  if (name === 'hello' || name === 'ismaster') return HANDSHAKE_HELLO_FIELDS.some((f) => f in command) ? 'handshake' : 'hello';
  if (SESSION.has(name)) return 'session';
  if (name === 'aggregate') return pipelineWrites(command.pipeline) ? 'write' : 'cursor-open';
  if (CURSOR_OPENERS.has(name)) return 'cursor-open';
  if (name === 'mapreduce') return isInlineOut(command.out) ? 'read' : 'write';
  if (name === 'explain') {
    const inner = command.explain as BSON.Document | undefined;
    const innerName = inner && typeof inner === 'object' ? Object.keys(inner)[0] : undefined;
    // explain never executes writes unless verbosity is executionStats/allPlansExecution.
    if (innerName && classify(innerName, inner!) === 'write' && command.verbosity !== undefined && command.verbosity !== 'queryPlanner') {
      return 'write';
    }
    return 'read';
  }
  if (READS.has(name) || DESCRIBING_READS.has(name)) return 'read';
  if (name === 'profile') return Number(command[cmd]) === -1 ? 'read' : 'write';
  return 'write';
}

/**
 * A `hello` or `isMaster` without handshake fields is either an application's own call
 * or a server monitor's polling heartbeat (a monitor's connection carries nothing else).
 * The engine replays it as a read only on a connection that has already carried other
 * application commands, so heartbeats are skipped with the handshake and an app that
 * asks who the primary is still gets an answer on every target.
 */
export function isWriteKind(kind: CommandKind): boolean {
  return kind === 'write';
}

function pipelineWrites(pipeline: unknown): boolean {
  if (!Array.isArray(pipeline)) return false;
  return pipeline.some((stage) => stage !== null && typeof stage === 'object' && ('$out' in stage || '$merge' in stage));
}

function isInlineOut(out: unknown): boolean {
  return out !== null && typeof out === 'object' && 'inline' in out;
}
