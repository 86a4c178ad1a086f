import { parseShellDocument, parseShellJson } from './shell-json.ts';
import { errorOf, SKIP, type LineResult } from './slow-op.ts';

/**
 * One line of a 4.2 (or 4.0) plain-text log. Operations are the slow-operation lines
 * of the COMMAND and WRITE components (research §3a):
 *
 *   <iso8601> <sev> <COMPONENT> [<ctx>] <type> <ns> [appName: "…"] command: [<name>] { … }
 *     [originatingCommand: {…}] [planSummary: …] key:value … locks:{…} … protocol:op_msg <N>ms
 *
 * 4.2 puts two spaces after the severity letter, 4.0 one: both are accepted. A line
 * over `maxLogSizeKB` starts with `warning: log line attempted (NkB) over max size
 * (10kB), printing beginning and end ... ` and is kept, marked truncated.
 *
 * The NETWORK line `received client metadata from <host> <conn>: { … }` (4.0/4.2
 * `ClientMetadataIsMasterState`, logged once per connection) says who opened a
 * connection; it is returned so that the server's own connections can be told apart.
 */
const LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)\s+[FEWID]\d?\s+(COMMAND|WRITE|QUERY|NETWORK)\s+\[([^\]]*)\]\s(.*)$/;
const METADATA = /^received client metadata from \S+ [^:\s]*: /;
const OP = /^(command|update|remove|insert|query|getmore|killcursors)\s+(\S+)\s/;
const TOO_LONG = /^warning: log line attempted \(\d+\s*[kKmM]?B\) over max size \(\d+\s*[kKmM]?B\), printing beginning and end \.\.\.\s*/;
const DURATION = /\s(\d+)ms\s*$/;

export function parseTextLogLine(line: string): LineResult {
  const m = LINE.exec(line);
  if (!m) return SKIP;
  let body = m[4]!;
  if (m[2] === 'NETWORK') return clientMetadata(m[3]!, body);
  const tooLong = TOO_LONG.exec(body);
  if (tooLong) body = body.slice(tooLong[0].length);
  const op = OP.exec(body);
  if (!op) return SKIP; // other COMMAND lines: "CMD: drop", index builds, …
  const type = op[1]!;
  const ns = op[2]!;
  const dur = DURATION.exec(body);
  if (!dur) return { kind: 'bad', message: `${type} line without a duration ("…Nms" at the end)` };
  const durationMs = Number(dur[1]);
  const end = body.length - dur[0].length;
  let pos = op[0].length;

  let app: string | undefined;
  if (body.startsWith('appName: ', pos)) {
    const s = parseShellJson(body, pos + 'appName: '.length);
    if (!s.ok || typeof s.value !== 'string') return { kind: 'bad', message: `unreadable appName at column ${pos + 1}` };
    app = s.value;
    pos = skipSpaces(body, s.end);
  }

  let name: string | undefined;
  let command: Record<string, unknown> = {};
  let originatingCommand: Record<string, unknown> | undefined;
  let truncated = Boolean(tooLong);
  if (body.startsWith('command: ', pos)) {
    pos += 'command: '.length;
    const named = /^([A-Za-z_$][\w$]*)\s+(?=\{)/.exec(body.slice(pos, pos + 200));
    if (named) {
      name = named[1];
      pos += named[0].length;
    }
    const doc = parseShellDocument(body, pos);
    if (doc.ok) {
      command = doc.value as Record<string, unknown>;
      truncated ||= doc.truncated;
      pos = doc.end;
    } else if (truncated) {
      // The middle of the line is gone: keep what the head says (ns, name, duration).
      pos = end;
    } else {
      return { kind: 'bad', message: `unreadable command at column ${doc.at + 1 + (line.length - body.length)}: ${doc.error}` };
    }
  }
  pos = skipSpaces(body, pos);
  if (body.startsWith('originatingCommand: ', pos)) {
    // getMore lines print the command that opened the cursor (CUROP OpDebug::report).
    const orig = parseShellDocument(body, pos + 'originatingCommand: '.length);
    if (orig.ok) {
      originatingCommand = orig.value as Record<string, unknown>;
      pos = orig.end;
    }
  }

  const attr = readStats(body.slice(pos, end));
  const conn = m[3]!;
  const endedAt = new Date(normaliseOffset(m[1]!));
  const protocol = typeof attr.protocol === 'string' ? attr.protocol : undefined;
  const stats: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(attr)) if (!['ok', 'errMsg', 'errName', 'errCode'].includes(k)) stats[k] = v;
  const error = errorOf(attr);
  return {
    kind: 'op',
    op: {
      ...(Number.isNaN(endedAt.getTime()) ? {} : { endedAt }),
      durationMs,
      conn,
      ctx: conn,
      component: m[2]!,
      ...(app ? { app } : {}),
      ns,
      type,
      command,
      ...(name ? { name } : {}),
      truncated,
      ...(protocol ? { protocol } : {}),
      stats,
      ...(error ? { error } : {}),
      ...(originatingCommand ? { originatingCommand } : {}),
    },
  };
}

function clientMetadata(ctx: string, body: string): LineResult {
  const m = METADATA.exec(body);
  if (!m) return SKIP;
  const doc = parseShellDocument(body, m[0].length);
  if (!doc.ok) return SKIP; // the metadata is a hint, not an operation: an odd one is not an issue
  return { kind: 'client', conn: ctx, metadata: doc.value as Record<string, unknown> };
}

/**
 * The `key:value` tail. Values are numbers, bare words, quoted strings or documents
 * (`locks:{…}`, skipped); `planSummary: IXSCAN { a: 1 }, …` runs to the next `key:`.
 * Best effort: an unreadable tail loses figures, never the operation.
 */
function readStats(tail: string): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  let i = 0;
  const KEY = /^\s*([A-Za-z_$][\w$.]*):\s?/;
  while (i < tail.length) {
    const k = KEY.exec(tail.slice(i, i + 100));
    if (!k) break;
    const key = k[1]!;
    i += k[0].length;
    const c = tail[i];
    if (key === 'planSummary') {
      const next = /\s[A-Za-z_$][\w$]*:(?=\S)/.exec(tail.slice(i));
      const stop = next ? i + next.index : tail.length;
      out[key] = tail.slice(i, stop).trim();
      i = stop;
    } else if (c === '{' || c === '"' || c === "'") {
      const v = parseShellJson(tail, i);
      if (!v.ok) break;
      if (typeof v.value === 'string') out[key] = v.value;
      i = v.end;
    } else {
      const w = /^\S*/.exec(tail.slice(i))![0];
      i += w.length;
      out[key] = /^-?\d+(?:\.\d+)?$/.test(w) ? Number(w) : w === 'true' ? true : w === 'false' ? false : w;
    }
  }
  return out;
}

function skipSpaces(s: string, i: number): number {
  while (s[i] === ' ') i++;
  return i;
}

/** `+0800` → `+08:00`, which Date parses everywhere. */
function normaliseOffset(ts: string): string {
  return ts.replace(/([+-]\d\d)(\d\d)$/, '$1:$2');
}
