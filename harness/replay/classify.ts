import type { BSON } from 'mongodb';
import { commandKey } from '../model/command-name.ts';

/**
 * What kind of command a record holds, decided from the command name and body alone.
 * Writes are found by an allowlist of reads: anything not known to be read-only is
 * treated as a write, so an unknown admin command is never replayed by accident.
 */
export type CommandKind = 'read' | 'cursor-open' | 'get-more' | 'kill-cursors' | 'write' | 'handshake' | 'session';

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

/** Connection set-up and authentication: replaying them measures nothing and needs credentials. */
const HANDSHAKE = new Set(['hello', 'ismaster', 'saslstart', 'saslcontinue', 'authenticate', 'getnonce', 'logout', 'speculativeauthenticate']);

/** Session bookkeeping: sessions are re-created per target, so these are not replayed as recorded. */
const SESSION = new Set(['endsessions', 'startsession', 'refreshsessions', 'killsessions', 'killallsessions']);

export function classify(cmd: string, command: BSON.Document): CommandKind {
  const name = commandKey(cmd);
  if (name === 'getmore') return 'get-more';
  if (name === 'killcursors') return 'kill-cursors';
  if (HANDSHAKE.has(name)) return 'handshake';
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
  if (READS.has(name)) return 'read';
  return 'write';
}

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
