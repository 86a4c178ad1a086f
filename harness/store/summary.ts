import { canonicalCommandName } from '../model/command-name.ts';
import { shapeOf } from '../model/shape.ts';
import type { CaptureFooter, InputCut } from './footer.ts';
import type { CaptureDamage, CaptureIssue } from './reader.ts';
import type { CaptureHeader, OperationRecord } from '../model/record.ts';

/**
 * What `capture info` says about a capture. Pure: records, headers, footers and issues
 * go in through `add*`, a plain result comes out; `summariseCapture` (info.ts) feeds it
 * from files.
 */
export interface CaptureSummary {
  files: Array<{ file: string; app?: string; source: string; serverVersion?: string; startedAt: string; closed: boolean; shard?: { index: number; count: number } }>;
  records: number;
  /** Microseconds since the epoch; null when there are no records. */
  firstT: number | null;
  lastT: number | null;
  spanSeconds: number;
  replayable: number;
  replayableShare: number;
  notReplayable: Record<string, number>;
  errors: number;
  byApp: Record<string, number>;
  byCommand: Record<string, number>;
  byDb: Record<string, number>;
  connections: number;
  topShapes: Array<{ id: string; cmd: string; count: number; text: string }>;
  /** Shapes beyond the tracking limit are counted here, not listed. */
  untrackedShapeRecords: number;
  dropped: number;
  /** Inputs the capture was made from that ended early or were damaged (from the footers). */
  inputCut: Array<InputCut & { file: string }>;
  /** What the captures' sources held and lost (footers' `quality`), summed over files. */
  sourceQuality: Record<string, number>;
  issues: Record<string, number>;
  /** The first few issues, with file and line. */
  issueSamples: CaptureIssue[];
  /** Files whose compressed data was damaged: members and bytes skipped, records read after the damage. */
  damage: CaptureDamage[];
  /** Records the footers say were written, for closed files (null when a file has no footer). */
  footerRecords: number | null;
}

/** Distinct shapes kept in memory: a capture with more is pathological (literals in field names). */
const MAX_SHAPES = 10_000;
const MAX_CONNECTIONS = 1_000_000;
const ISSUE_SAMPLES = 10;

export class SummaryBuilder {
  private readonly s: CaptureSummary = {
    files: [],
    records: 0,
    firstT: null,
    lastT: null,
    spanSeconds: 0,
    replayable: 0,
    replayableShare: 0,
    notReplayable: {},
    errors: 0,
    byApp: {},
    byCommand: {},
    byDb: {},
    connections: 0,
    topShapes: [],
    untrackedShapeRecords: 0,
    dropped: 0,
    inputCut: [],
    sourceQuality: {},
    issues: {},
    issueSamples: [],
    damage: [],
    footerRecords: 0,
  };
  private readonly shapes = new Map<string, { id: string; cmd: string; count: number; text: string }>();
  private readonly conns = new Set<string>();

  addHeader(header: CaptureHeader, file: string): void {
    this.s.files.push({
      file,
      ...(header.app !== undefined && { app: header.app }),
      source: header.source.host ? `${header.source.kind} ${header.source.host}` : header.source.kind,
      ...(header.serverVersion !== undefined && { serverVersion: header.serverVersion }),
      startedAt: header.startedAt,
      closed: false,
      ...(header.shard && { shard: header.shard }),
    });
  }

  addFooter(footer: CaptureFooter | undefined, file: string): void {
    const entry = this.s.files.findLast((f) => f.file === file);
    if (entry && footer) entry.closed = true;
    if (footer) this.s.dropped += footer.dropped;
    if (!footer) this.s.footerRecords = null;
    else if (this.s.footerRecords !== null) this.s.footerRecords += footer.records;
    if (footer?.inputCut) this.s.inputCut.push({ file, ...footer.inputCut });
    for (const [k, v] of Object.entries(footer?.quality ?? {})) this.s.sourceQuality[k] = (this.s.sourceQuality[k] ?? 0) + v;
  }

  addDamage(d: CaptureDamage): void {
    this.s.damage.push(d);
  }

  addIssue(issue: CaptureIssue): void {
    this.s.issues[issue.code] = (this.s.issues[issue.code] ?? 0) + 1;
    if (this.s.issueSamples.length < ISSUE_SAMPLES) this.s.issueSamples.push(issue);
  }

  add(r: OperationRecord): void {
    const s = this.s;
    s.records++;
    if (s.firstT === null || r.t < s.firstT) s.firstT = r.t;
    if (s.lastT === null || r.t > s.lastT) s.lastT = r.t;
    if (r.notReplayable === undefined) s.replayable++;
    else s.notReplayable[r.notReplayable] = (s.notReplayable[r.notReplayable] ?? 0) + 1;
    if (r.error !== undefined) s.errors++;
    bump(s.byApp, r.app ?? '(none)');
    const cmd = canonicalCommandName(r.cmd);
    bump(s.byCommand, cmd);
    bump(s.byDb, r.db);
    if (this.conns.size < MAX_CONNECTIONS) this.conns.add(r.conn);
    const shape = shapeOf(r.command);
    const known = this.shapes.get(shape.id);
    if (known) known.count++;
    else if (this.shapes.size < MAX_SHAPES) this.shapes.set(shape.id, { id: shape.id, cmd, count: 1, text: shape.text });
    else s.untrackedShapeRecords++;
  }

  result(topN = 10): CaptureSummary {
    const s = this.s;
    return {
      ...s,
      spanSeconds: s.firstT === null || s.lastT === null ? 0 : (s.lastT - s.firstT) / 1e6,
      replayableShare: s.records === 0 ? 0 : s.replayable / s.records,
      connections: this.conns.size,
      byApp: sortCounts(s.byApp),
      byCommand: sortCounts(s.byCommand),
      byDb: sortCounts(s.byDb),
      topShapes: [...this.shapes.values()].sort((a, b) => b.count - a.count || a.id.localeCompare(b.id)).slice(0, topN),
    };
  }
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

function sortCounts(map: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(map).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/** The summary as text for people (stderr). */
export function formatSummary(s: CaptureSummary): string {
  const lines: string[] = [];
  const pct = (n: number): string => `${(100 * n).toFixed(1)}%`;
  for (const f of s.files) {
    const bits = [f.source, f.app && `app ${f.app}`, f.serverVersion && `server ${f.serverVersion}`, f.shard && `shard ${f.shard.index + 1}/${f.shard.count}`, f.closed ? '' : 'NOT CLOSED (crash or still being written)'];
    lines.push(`${f.file}: ${bits.filter(Boolean).join(', ')}`);
  }
  const from = s.firstT === null ? '-' : new Date(s.firstT / 1000).toISOString();
  const to = s.lastT === null ? '-' : new Date(s.lastT / 1000).toISOString();
  lines.push(`records: ${s.records} on ${s.connections} connections, ${from} .. ${to} (${s.spanSeconds.toFixed(1)} s)`);
  const reasons = Object.entries(s.notReplayable).map(([k, v]) => `${k} ${v}`).join(', ');
  lines.push(`replayable: ${s.replayable} (${pct(s.replayableShare)})${reasons ? `; not replayable: ${reasons}` : ''}; replies with errors: ${s.errors}`);
  for (const c of s.inputCut) lines.push(`INPUT CUT SHORT: ${c.input} at ${c.at} (${c.reason}); ${c.file} holds what was read before it`);
  const quality = Object.entries(s.sourceQuality).filter(([, v]) => v > 0);
  if (quality.length > 0) lines.push(`source quality: ${quality.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`dropped by the writer: ${s.dropped}; skipped lines: ${Object.entries(s.issues).map(([k, v]) => `${k} ${v}`).join(', ') || 0}`);
  for (const d of s.damage) {
    lines.push(
      `DAMAGED: ${d.file}: ${d.members} gzip member(s), ${d.bytesSkipped} compressed bytes skipped; ${d.recordsRecovered} records read after the damage${d.restLost ? '; the rest of the file could not be read' : ''}`,
    );
  }
  if (s.footerRecords !== null && s.footerRecords !== s.records) lines.push(`the footers count ${s.footerRecords} records written; ${s.records} were read`);
  for (const i of s.issueSamples) lines.push(`  ${i.file}:${i.line}: ${i.code}: ${i.message}`);
  const table = (title: string, m: Record<string, number>): void => {
    lines.push(`${title}:`);
    for (const [k, v] of Object.entries(m).slice(0, 15)) lines.push(`  ${String(v).padStart(9)}  ${k}`);
  };
  table('by app', s.byApp);
  table('by command', s.byCommand);
  table('by database', s.byDb);
  lines.push('top shapes:');
  for (const sh of s.topShapes) lines.push(`  ${String(sh.count).padStart(9)}  ${sh.id}  ${truncate(sh.text, 110)}`);
  return `${lines.join('\n')}\n`;
}

function truncate(text: string, n: number): string {
  return text.length <= n ? text : `${text.slice(0, n - 1)}…`;
}
