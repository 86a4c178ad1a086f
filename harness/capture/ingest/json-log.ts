import { BSON } from 'mongodb';
import { errorOf, pickStats, SKIP, type LineResult } from './slow-op.ts';

/**
 * One line of a 4.4+ structured log (logv2). Operations are the "Slow query" entries
 * (id 51803): `attr.type`, `attr.ns`, `attr.command`, `attr.durationMillis`,
 * `attr.appName`, `attr.remote` (5.0+). When an attribute exceeded `maxLogSizeKB` the
 * server keeps the JSON valid but adds `attr.truncated`/`attr.size`: such commands are
 * kept and marked truncated. "client metadata" (id 51800: `attr.client`, `attr.doc`)
 * says who opened a connection. Every other line is skipped.
 */
const SLOW_QUERY_ID = 51803;
const CLIENT_METADATA_ID = 51800;

export function parseJsonLogLine(line: string): LineResult {
  // Fast path: most lines are not operations; do not parse them at all.
  const metadata = line.includes('"client metadata"');
  if (!metadata && !line.includes('"Slow query"') && !line.includes(`"id":${SLOW_QUERY_ID}`)) return SKIP;
  let entry: unknown;
  try {
    // Plain JSON.parse for the line (5x faster than EJSON over locks/storage we ignore);
    // only attr.command and the time are turned into BSON values below.
    entry = JSON.parse(line);
  } catch (err) {
    return { kind: 'bad', message: `not valid JSON (${firstLine(err)})` };
  }
  if (!isDoc(entry)) return SKIP;
  if (metadata && (entry.id === CLIENT_METADATA_ID || entry.msg === 'client metadata')) {
    const a = entry.attr;
    if (!isDoc(a) || !isDoc(a.doc)) return SKIP;
    const conn = typeof a.client === 'string' ? a.client : typeof entry.ctx === 'string' ? entry.ctx : undefined;
    return conn === undefined ? SKIP : { kind: 'client', conn, metadata: a.doc };
  }
  if (entry.id !== SLOW_QUERY_ID && entry.msg !== 'Slow query') return SKIP;
  const attr = entry.attr;
  if (!isDoc(attr)) return { kind: 'bad', message: 'slow query without attr' };
  if (typeof attr.ns !== 'string') return { kind: 'bad', message: 'slow query without attr.ns' };
  const durationMs = attr.durationMillis;
  if (typeof durationMs !== 'number') return { kind: 'bad', message: 'slow query without attr.durationMillis' };
  let command: BSON.Document = {};
  if (isDoc(attr.command)) {
    try {
      // Canonical reading keeps number types: an integer stays Int32/Long, `1.5` a Double.
      command = BSON.EJSON.deserialize(attr.command, { relaxed: false }) as BSON.Document;
    } catch (err) {
      return { kind: 'bad', message: `attr.command is not Extended JSON (${firstLine(err)})` };
    }
  }
  let originatingCommand: BSON.Document | undefined;
  if (isDoc(attr.originatingCommand)) {
    try {
      originatingCommand = BSON.EJSON.deserialize(attr.originatingCommand, { relaxed: false }) as BSON.Document;
    } catch {
      // Only a link for getMore: an unreadable one is left out, the operation is kept.
    }
  }
  const date = isDoc(entry.t) ? entry.t.$date : undefined;
  const t = typeof date === 'string' ? new Date(date) : typeof date === 'number' ? new Date(date) : undefined;
  const stats = pickStats(attr);
  const error = errorOf(attr);
  return {
    kind: 'op',
    op: {
      ...(t && !Number.isNaN(t.getTime()) ? { endedAt: t } : {}),
      durationMs,
      conn: typeof entry.ctx === 'string' ? entry.ctx : 'unknown',
      ...(typeof entry.ctx === 'string' ? { ctx: entry.ctx } : {}),
      ...(typeof entry.c === 'string' ? { component: entry.c } : {}),
      ...(typeof attr.remote === 'string' ? { client: attr.remote } : {}),
      ...(typeof attr.appName === 'string' && attr.appName !== '' ? { app: attr.appName } : {}),
      ns: attr.ns,
      type: typeof attr.type === 'string' ? attr.type : 'command',
      command,
      truncated: attr.truncated !== undefined,
      ...(typeof attr.protocol === 'string' ? { protocol: attr.protocol } : {}),
      stats,
      ...(error ? { error } : {}),
      ...(originatingCommand ? { originatingCommand } : {}),
    },
  };
}

function isDoc(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !('_bsontype' in v) && !(v instanceof Date);
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}
