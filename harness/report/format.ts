import type { ReportDocument, SummaryRow } from './schema.ts';

/** Small text helpers shared by the Markdown, HTML and JUnit renderers and the charts. */
export function fmtMs(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${+(us / 1000).toPrecision(3)} ms`;
  return `${+(us / 1_000_000).toPrecision(3)} s`;
}

export function fmtRatio(r: number | null): string {
  return r === null ? '—' : `×${r.toFixed(2)}`;
}

export function fmtSkipped(skipped: SummaryRow['skipped']): string {
  const parts = Object.entries(skipped).sort((a, b) => b[1] - a[1]);
  return parts.length === 0 ? '0' : parts.map(([k, v]) => `${v} ${k}`).join(', ');
}

export function verdictWord(level: string): string {
  return level.toUpperCase();
}

export function targetLabel(doc: ReportDocument, name: string): string {
  const t = doc.targets.find((x) => x.name === name);
  return t ? `${name} (${t.product || t.serverVersion || 'unknown'})` : name;
}

export function qualityLines(doc: ReportDocument): string[] {
  const q = doc.quality;
  const lines = [
    `records read: ${q.records}; logical operations: ${q.outcomes}; getMore/killCursors folded into their cursor: ${q.folded}`,
    `dropped at capture: ${q.droppedAtCapture === null ? 'unknown (the capture does not record it)' : q.droppedAtCapture}`,
    `unparseable capture records: ${q.unparseable}`,
    `unreadable run lines: ${q.corruptOutcomes}`,
    `orphan getMores (cursor opened before the capture): ${q.orphanGetMores}`,
    `not replayed, by reason: ${Object.keys(q.notReplayable).length ? Object.entries(q.notReplayable).map(([k, v]) => `${k} ${v}`).join(', ') : 'none'}`,
  ];
  return lines;
}

/** The shape text shortened for a table cell. */
export function shortShape(text: string | undefined, max = 140): string {
  if (!text) return '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Text made safe for one Markdown table cell: a pipe would end the cell, a newline the row. */
export function mdCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * One line per collection that differs after writes: counts on both sides, how many
 * documents changed, are missing or extra with the first `_id`s of each, and index
 * specs only one side has. Plain text; renderers escape or quote it.
 */
export function stateLine(s: ReportDocument['state'][number]): string {
  const kinds = (['changed', 'missing', 'extra'] as const).map((k) => {
    const total = s.totals?.[k] ?? s[k].length;
    return total === 0 ? `${k} 0` : `${k} ${total} (first: ${s[k].join(', ')}${total > s[k].length ? ', …' : ''})`;
  });
  const counts = s.baselineCount !== undefined && s.candidateCount !== undefined ? `${s.baselineCount} → ${s.candidateCount} documents; ` : '';
  const idx = [
    ...(s.indexes?.missing.length ? [`index only on the baseline: ${s.indexes.missing.join(', ')}`] : []),
    ...(s.indexes?.extra.length ? [`index only on ${s.candidate}: ${s.indexes.extra.join(', ')}`] : []),
  ];
  const byWhat = s.method === 'documents' ? 'joined by _id' : 'too large to join by _id: count and hash only';
  return `${s.candidate}: ${s.ns}: ${counts}${kinds.join(', ')}${idx.length ? `; ${idx.join('; ')}` : ''} (${byWhat})`;
}
