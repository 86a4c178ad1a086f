import type { ReportDocument, SummaryRow } from './schema.ts';
import { fmtMs } from './svg.ts';

/** Small text helpers shared by the Markdown, HTML and JUnit renderers. */
export { fmtMs };

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
