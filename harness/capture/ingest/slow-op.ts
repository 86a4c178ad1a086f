import { BSON } from 'mongodb';
import { canonicalCommandName, isCredentialCommand } from '../../model/command-name.ts';
import type { NotReplayableReason, OperationRecord } from '../../model/record.ts';
import { shapeOf } from '../../model/shape.ts';
import { isRedacted } from './redaction.ts';
import { internalKindOf } from './internal.ts';

/**
 * What a slow-operation log line or a profiler entry says about one operation, before
 * it becomes a capture record. The log and profile parsers fill it; `toRecord` is the
 * one place that decides command shape, namespace and replayability for both.
 */
export interface SlowOp {
  /** When the source wrote the entry (the operation's end), if it says. */
  readonly endedAt?: Date;
  /** Absent when the source does not say (a profiler document projected without `millis`). */
  readonly durationMs?: number;
  /** `conn123` (log context) or the profiler's `client`. */
  readonly conn: string;
  /** Logs only: the thread that logged the line (`conn123` for a client connection, else a server thread). */
  readonly ctx?: string;
  /** Logs only: the log component (`COMMAND`, `WRITE`, …). */
  readonly component?: string;
  /** Profiler only: the authenticated user (`__system` for the server's own operations). */
  readonly user?: string;
  /** getMore entries: the command that opened the cursor, when the source printed it. */
  readonly originatingCommand?: BSON.Document;
  readonly client?: string;
  readonly app?: string;
  /** `db.coll` or `db.$cmd`. */
  readonly ns: string;
  /** `command` for whole commands; `update`/`remove`/`insert`/`query`/`getmore` for per-statement or legacy entries. */
  readonly type: string;
  readonly command: BSON.Document;
  /** Command name the source printed beside the command, when it did (4.2 text: `command: find {…}`). */
  readonly name?: string;
  readonly truncated: boolean;
  readonly protocol?: string;
  readonly stats: Record<string, number | string | boolean>;
  readonly error?: { code?: number; codeName?: string; message?: string };
}

export type LineResult =
  | { readonly kind: 'skip' }
  | { readonly kind: 'op'; readonly op: SlowOp }
  | { readonly kind: 'bad'; readonly message: string }
  /** A connection's client metadata (4.0/4.2 "received client metadata", 4.4+ id 51800). */
  | { readonly kind: 'client'; readonly conn: string; readonly metadata: Record<string, unknown> }
  /** The server restarted: connection numbers start again. */
  | { readonly kind: 'restart' };

export const SKIP: LineResult = Object.freeze({ kind: 'skip' });
export const RESTART: LineResult = Object.freeze({ kind: 'restart' });

/**
 * A per-statement write entry: the child CurOp that write_ops_exec.cpp
 * (performUpdates/performDeletes, 3.6 to 8.x) pushes for every update or delete
 * statement, logged by the WRITE component (`update <ns> command: { q, u, … }`, logv2
 * `"c":"WRITE","attr":{"type":"update","command":{"q":…}}`). Inserts reuse the
 * command's own CurOp ("This is the only part of finishCurOp we need to do for
 * inserts"), so an insert is logged once.
 */
export function isPerStatement(op: SlowOp): boolean {
  const c = op.command;
  return (op.type === 'update' && 'q' in c && 'u' in c && !('update' in c)) || (op.type === 'remove' && 'q' in c && !('delete' in c));
}
/** Source fields already carried elsewhere in the record, or too bulky for `stats`. */
const NOT_STATS = new Set([
  'type',
  'ns',
  'appName',
  'command',
  'originatingCommand',
  'remote',
  'durationMillis',
  'millis',
  'truncated',
  'size',
  'ok',
  'errMsg',
  'errName',
  'errCode',
  'client',
  'user',
  'ts',
  'op',
  'locks',
  'storage',
  'flowControl',
  'execStats',
  'allUsers',
  'readConcern',
  'writeConcern',
  'lsid',
  'txnNumber',
]);

/** Scalar source figures (planSummary, keysExamined, …) as plain JSON values. */
export function pickStats(attr: Record<string, unknown>): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(attr)) {
    if (NOT_STATS.has(k)) continue;
    const s = scalar(v);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

export function scalar(v: unknown): number | string | boolean | undefined {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (v instanceof BSON.Int32 || v instanceof BSON.Double) return Number.isFinite(v.value) ? v.value : undefined;
  if (v instanceof BSON.Long && !(v instanceof BSON.Timestamp)) return v.toNumber();
  return undefined;
}

export function errorOf(attr: Record<string, unknown>): SlowOp['error'] {
  const code = scalar(attr.errCode);
  const codeName = attr.errName;
  const message = attr.errMsg;
  if (code === undefined && codeName === undefined && message === undefined) return undefined;
  const err: { code?: number; codeName?: string; message?: string } = {};
  if (typeof code === 'number' && Number.isInteger(code)) err.code = code;
  if (typeof codeName === 'string') err.codeName = codeName;
  if (typeof message === 'string') err.message = message;
  return err;
}

const OP_BY_PROTOCOL: Record<string, OperationRecord['op']> = { op_msg: 'OP_MSG', op_query: 'OP_QUERY', op_command: 'OP_QUERY' };

/**
 * Kind-1 payloads the body alone lacks: neither logs nor the profiler keep them
 * (research §3b, §3c); 8.0's bulkWrite sends `ops` and `nsInfo` as sequences.
 */
export const BATCH_FIELD: Readonly<Record<string, string>> = Object.freeze({ insert: 'documents', update: 'updates', delete: 'deletes', bulkWrite: 'ops' });

/**
 * Turns a slow operation into a capture record. Per-statement write entries
 * (`update` with `{q, u, …}`, `remove` with `{q, limit}`) become the equivalent
 * one-statement command, so they can be replayed; batch commands whose documents the
 * source left out are kept and marked `missing-fields`.
 */
export function toRecord(op: SlowOp, seq: number, appOverride?: string): OperationRecord {
  const dot = op.ns.indexOf('.');
  const db = dot === -1 ? op.ns : op.ns.slice(0, dot);
  const nsColl = dot === -1 ? undefined : op.ns.slice(dot + 1);
  let command = op.command;
  let reason: NotReplayableReason | undefined;

  if (op.type === 'update' && 'q' in command && 'u' in command && !('update' in command)) {
    command = { update: nsColl ?? '', updates: [command] };
  } else if (op.type === 'remove' && 'q' in command && !('delete' in command)) {
    command = { delete: nsColl ?? '', deletes: [{ q: command.q, limit: command.limit ?? 0 }] };
  } else if (op.type === 'insert' && !('insert' in command)) {
    // A per-statement insert entry names no document: nothing to send again.
    command = { insert: nsColl ?? '', ...command };
    reason = 'missing-fields';
  }

  const keys = Object.keys(command);
  const cmd = keys[0] ?? op.name ?? op.type;
  const canonical = canonicalCommandName(cmd);
  const first = keys.length > 0 ? command[keys[0]!] : undefined;
  const coll = typeof first === 'string' && first !== '' ? first : nsColl && nsColl !== '$cmd' ? nsColl : undefined;
  const recDb = db || (typeof command.$db === 'string' ? command.$db : '');

  // One reason per record, the most fundamental first: who sent it, what it carries,
  // then what the source did to it.
  const internal = internalKindOf(op, canonical, recDb, coll);
  const credentials = isCredentialCommand(cmd);
  if (internal) reason = 'internal';
  else if (credentials) reason = 'credentials';
  else if (op.type === 'getmore') reason = 'get-more';
  else if (isRedacted(command)) reason = 'redacted';
  else if (op.truncated) reason = 'truncated';
  if (keys.length === 0) reason ??= 'missing-fields';
  const batch = BATCH_FIELD[canonical];
  if (batch && !Array.isArray(command[batch])) reason ??= 'missing-fields';
  if (!nsColl && !command.$db && db === '') reason ??= 'missing-fields';
  // Nothing that proves or sets a password enters a capture: keep the command's name and argument.
  if (credentials) command = { [cmd]: typeof first === 'string' ? first : 1 };

  const dur = op.durationMs === undefined ? null : Math.max(0, Math.round(op.durationMs * 1000));
  // Logs and the profiler write an entry when the operation ends: start = end - duration.
  const t = op.endedAt ? op.endedAt.getTime() * 1000 - (dur ?? 0) : 0;

  const rec: OperationRecord = {
    seq,
    t,
    dur,
    conn: op.conn,
    db: recDb,
    cmd,
    op: OP_BY_PROTOCOL[op.protocol ?? ''] ?? 'OP_MSG',
    command,
  };
  if (op.client) rec.client = op.client;
  const app = appOverride ?? op.app;
  if (app) rec.app = app;
  if (coll) rec.coll = coll;
  if (op.error) rec.error = op.error;
  const stats: Record<string, number | string | boolean> = { ...op.stats };
  if (internal) stats.internal = internal;
  if (op.originatingCommand) {
    // The link from a getMore to the command that opened its cursor (with `cursorid`, when present).
    const origName = Object.keys(op.originatingCommand)[0];
    if (origName !== undefined) stats.originatingCommand = canonicalCommandName(origName);
    stats.originatingShape = shapeOf(op.originatingCommand).id;
  }
  if (Object.keys(stats).length > 0) rec.stats = stats;
  if (reason) rec.notReplayable = reason;
  return rec;
}
