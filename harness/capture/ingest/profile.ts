import { BSON } from 'mongodb';
import { parseShellDocument } from './shell-json.ts';
import { errorOf, pickStats, type LineResult, type SlowOp } from './slow-op.ts';

/**
 * One `system.profile` document (research §3c). 4.2 and 6.0+ share the shape that
 * matters here: `op`, `ns`, `command`, `millis`, `ts`, `client`, `appName`, plus
 * figures (`keysExamined`, `docsExamined`, `nreturned`, `planSummary`, `queryHash`,
 * `responseLength`, 6.2+ `planningTimeMicros`, 6.3+ `cpuNanos`, …).
 *
 * `op` is `query` for find, `getmore`, `command` for aggregate/findAndModify/count/…,
 * and `insert`/`update`/`remove` for per-statement writes whose `command` is the
 * statement (`{q, u, multi, upsert}`), as in logs. A command over 50 KB is replaced by
 * `{ $truncated: "<toString() prefix …>", comment }`: kept, marked truncated, its name
 * and collection recovered from the printed prefix.
 *
 * Field sets by version (MongoDB manual "Database Profiler Output" of each version):
 * 4.0 names the yield count `numYield` and keeps OP_QUERY finds in `query`; pre-3.6
 * updates split `query`/`updateobj`; 4.2 adds `queryHash`/`planCacheKey`; 4.4 `appName`
 * always and concern `provenance`; 5.0 `authorization`; 6.0+ `remote`,
 * `planningTimeMicros` (6.2), `cpuNanos` (6.3), `queryFramework`; 8.0
 * `queryShapeHash`, `workingMillis`. Only `ns` is required: a document projected
 * without `millis` is kept with no duration. getMore entries (`op: "getmore"`) need the
 * live cursor their `originatingCommand` opened: kept, not replayable, linked to it.
 */
export function parseProfileEntry(doc: BSON.Document): LineResult {
  if (typeof doc.ns !== 'string' || doc.ns === '') return { kind: 'bad', message: 'profile entry without ns' };
  const millis = num(doc.millis);
  const op = typeof doc.op === 'string' ? doc.op : 'command';
  let command: BSON.Document = isDoc(doc.command) ? doc.command : isDoc(doc.query) ? doc.query : {};
  // Pre-3.6 update entries: the statement as `query` and `updateobj`.
  if (op === 'update' && !isDoc(doc.command) && isDoc(doc.query) && isDoc(doc.updateobj)) command = { q: doc.query, u: doc.updateobj };
  let truncated = false;
  let name: string | undefined;
  if (typeof command.$truncated === 'string') {
    truncated = true;
    // The prefix is the command printed in shell notation; its head names the command.
    const head = parseShellDocument(command.$truncated);
    const m = /^\{\s*([A-Za-z_$][\w$]*):\s*("(?:[^"\\]|\\.)*")?/.exec(command.$truncated);
    if (head.ok) command = head.value as BSON.Document;
    else if (m) {
      name = m[1];
      command = m[2] ? { [m[1]!]: JSON.parse(m[2]) as string } : {};
    } else command = {};
  }
  // 4.2 profiles find as op "query" with the find command in `command`; pre-3.2 shapes put the filter in `query`.
  const type = op === 'query' ? 'command' : op;
  const ts = doc.ts instanceof Date ? doc.ts : undefined;
  const error = errorOf(doc);
  const stats = pickStats(doc);
  // 4.0+ `user` is "name@db"; older entries only `allUsers: [{user, db}]`.
  const firstUser = Array.isArray(doc.allUsers) && isDoc(doc.allUsers[0]) ? doc.allUsers[0].user : undefined;
  const user = typeof doc.user === 'string' && doc.user !== '' ? doc.user : typeof firstUser === 'string' ? firstUser : undefined;
  const ok: SlowOp = {
    ...(ts ? { endedAt: ts } : {}),
    ...(millis !== undefined ? { durationMs: millis } : {}),
    conn: typeof doc.client === 'string' ? doc.client : 'profile',
    ...(typeof doc.client === 'string' ? { client: doc.client } : {}),
    ...(typeof doc.appName === 'string' && doc.appName !== '' ? { app: doc.appName } : {}),
    ns: doc.ns,
    type,
    command,
    ...(name ? { name } : {}),
    truncated,
    ...(typeof doc.protocol === 'string' ? { protocol: doc.protocol } : {}),
    stats,
    ...(error ? { error } : {}),
    ...(user ? { user } : {}),
    ...(isDoc(doc.originatingCommand) && typeof doc.originatingCommand.$truncated !== 'string' ? { originatingCommand: doc.originatingCommand } : {}),
  };
  return { kind: 'op', op: ok };
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof BSON.Int32 || v instanceof BSON.Double) return v.value;
  if (v instanceof BSON.Long && !(v instanceof BSON.Timestamp)) return v.toNumber();
  return undefined;
}

function isDoc(v: unknown): v is BSON.Document {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !('_bsontype' in v) && !(v instanceof Date);
}
