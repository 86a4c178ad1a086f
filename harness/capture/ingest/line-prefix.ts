/**
 * Prefixes that log shippers and container runtimes put in front of a mongod log line.
 * mongod itself writes either a JSON object (4.4+) or `<iso8601> <severity> <COMPONENT>`
 * (4.0/4.2); anything before that was added on the way and is removed here, outermost
 * first, so the parsers only ever see what mongod wrote:
 *
 *   docker compose       `mongo-1  | `  (service name padded to the widest, then `| `)
 *   docker --timestamps  `2024-01-01T00:00:00.000000000Z `
 *   Kubernetes (CRI)     `2024-01-01T00:00:00.000000000Z stdout F `  (F full line, P partial)
 *   journald / syslog    `Jan  1 00:00:00 host mongod[123]: `, `Jan 01 00:00:00.123456 host mongod[1]: `,
 *                        `2024-01-01T00:00:00+00:00 host mongod[123]: ` (short-iso, RFC 5424 style)
 *   anything             leading spaces and tabs
 *
 * Several can stack (compose in front of docker timestamps), so the rules are applied
 * until none matches, at most MAX_LAYERS times.
 */
export type PrefixKind = 'compose' | 'cri' | 'docker-timestamp' | 'syslog' | 'whitespace';

export interface StrippedLine {
  /** The line as mongod wrote it. */
  readonly body: string;
  /** Runtimes whose prefixes were removed, outermost first. */
  readonly prefixes: readonly PrefixKind[];
  /** CRI only: `P` says this is a fragment of a longer line that continues on the next one. */
  readonly partial?: boolean;
}

const MAX_LAYERS = 4;
const RFC3339 = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)`;
/** `2024-… stdout F ` (containerd/CRI-O log files under /var/log/pods). */
const CRI = new RegExp(`^${RFC3339} (?:stdout|stderr) ([FP]) ?`);
/** `name  | `: compose pads the name; `-1`/`_1` replica suffixes are part of it. */
const COMPOSE = /^[A-Za-z0-9][\w.-]*\s*\| ?/;
/** BSD syslog / journald short: month day time host tag[pid]: */
const SYSLOG = /^[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ [\w./-]+(?:\[\d+\])?: ?/;
/** ISO-dated syslog (journalctl -o short-iso, rsyslog RFC 5424 templates): the tag needs its [pid] so a 4.x text line never matches. */
const SYSLOG_ISO = new RegExp(`^${RFC3339} \\S+ [\\w./-]+\\[\\d+\\]: ?`);
/** A bare RFC 3339 time before what mongod wrote (docker logs -t, kubectl logs --timestamps). */
const DOCKER_TS = new RegExp(`^${RFC3339} (?=\\{|\\d{4}-\\d\\d-\\d\\dT)`);
/** What mongod writes at the start of a line: a JSON object, or a 4.x timestamp and a severity letter. */
const MONGOD_START = /^(?:\{|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?\s+[FEWID]\d?\s)/;

export function stripLinePrefix(line: string): StrippedLine {
  let body = line;
  const prefixes: PrefixKind[] = [];
  let partial: boolean | undefined;
  for (let layer = 0; layer < MAX_LAYERS; layer++) {
    const ws = leadingWhitespace(body);
    if (ws > 0) {
      body = body.slice(ws);
      prefixes.push('whitespace');
    }
    if (MONGOD_START.test(body)) break;
    let m: RegExpExecArray | null;
    if ((m = CRI.exec(body))) {
      // The innermost CRI tag decides: only the runtime's own record says whether it was split.
      partial = m[1] === 'P';
      prefixes.push('cri');
    } else if ((m = SYSLOG.exec(body) ?? SYSLOG_ISO.exec(body))) prefixes.push('syslog');
    else if ((m = DOCKER_TS.exec(body))) prefixes.push('docker-timestamp');
    else if ((m = COMPOSE.exec(body))) prefixes.push('compose');
    else break;
    body = body.slice(m[0].length);
  }
  return partial === undefined ? { body, prefixes } : { body, prefixes, partial };
}

/** Whether a (stripped) line starts the way mongod starts its lines. */
export function isMongodLine(line: string): boolean {
  return MONGOD_START.test(line);
}

function leadingWhitespace(s: string): number {
  let i = 0;
  while (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9) i++;
  return i;
}

/**
 * Whether a line that does not start like a mongod line still looks like an operation:
 * a slow-query JSON entry, or a 4.x COMMAND/WRITE/QUERY line naming an operation and a
 * duration. Such lines are reported, never dropped in silence; other noise is skipped.
 */
export function looksLikeOperation(line: string): boolean {
  if (line.includes('"Slow query"') || line.includes('"id":51803')) return true;
  return /\b(?:COMMAND|WRITE|QUERY)\s+\[[^\]]*\]\s+(?:command|update|remove|insert|query|getmore)\s+\S+\s.*\d+ms\s*$/.test(line);
}
