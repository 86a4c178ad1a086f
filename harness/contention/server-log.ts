/**
 * Counting write-conflict lines in `getLog: "global"` (research §2): 4.4+ logs JSON
 * with `"id":23802` ("Plan executor error during findAndModify", logged for every
 * write conflict on 5.0.0–5.0.18, SERVER-74551); 4.2 logs plain text, at debug level
 * 1 only: "Caught WriteConflictException doing findAndModify". getLog keeps the last
 * 1024 lines, so when more were written during a step the count is a lower bound.
 */
export interface LogSnapshot {
  readonly totalLinesWritten: number;
  readonly lines: readonly string[];
}

export type LogFigure =
  | { readonly available: true; readonly newLines: number; readonly writeConflictLines: number; readonly lowerBound: boolean }
  | { readonly available: false; readonly reason: string };

const WRITE_CONFLICT_LINE = /"id"\s*:\s*23802\b|WriteConflictException doing findAndModify|Plan executor error during findAndModify/;

export function isWriteConflictLine(line: string): boolean {
  return WRITE_CONFLICT_LINE.test(line);
}

/** Reads a getLog reply; undefined when it does not look like one. */
export function parseGetLog(reply: unknown): LogSnapshot | undefined {
  if (reply === null || typeof reply !== 'object') return undefined;
  const r = reply as { log?: unknown; totalLinesWritten?: unknown };
  if (!Array.isArray(r.log)) return undefined;
  const total = Number(r.totalLinesWritten);
  const lines = r.log.filter((l): l is string => typeof l === 'string');
  return { totalLinesWritten: Number.isFinite(total) ? total : lines.length, lines };
}

export function logFigure(before: LogSnapshot | string, after: LogSnapshot | string): LogFigure {
  if (typeof before === 'string') return { available: false, reason: before };
  if (typeof after === 'string') return { available: false, reason: after };
  // A server that answers getLog but never writes a line (FerretDB) keeps no global log.
  if (after.totalLinesWritten === 0 && after.lines.length === 0) return { available: false, reason: 'not available on this server (getLog answers but the server keeps no global log)' };
  const newLines = Math.max(0, after.totalLinesWritten - before.totalLinesWritten);
  const visible = after.lines.slice(Math.max(0, after.lines.length - newLines));
  let writeConflictLines = 0;
  for (const line of visible) if (isWriteConflictLine(line)) writeConflictLines++;
  return { available: true, newLines, writeConflictLines, lowerBound: newLines > visible.length };
}
