import { dataDiffersText } from '../compare/verdict.ts';
import { CAUSES, type Cause, type DiffGroup } from '../compare/types.ts';
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
    ...(q.inputCut ?? []).map((c) => `INPUT CUT SHORT while capturing: ${c.input} at ${c.at} (${c.reason}); the capture holds what came before`),
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

/** Difference groups per cause, in the order CAUSES lists them: `1 data differs before replay, 2 version`. */
export function causesText(causes: Readonly<Partial<Record<Cause, number>>>): string {
  const parts = (Object.keys(CAUSES) as Cause[]).filter((c) => (causes[c] ?? 0) > 0).map((c) => `${causes[c]} ${CAUSES[c]}`);
  return parts.length ? parts.join(', ') : '—';
}

/** Difference groups per cause over the whole report. */
export function totalCauses(doc: ReportDocument): Partial<Record<Cause, number>> {
  const out: Partial<Record<Cause, number>> = {};
  for (const s of doc.summary) for (const [c, n] of Object.entries(s.causes) as [Cause, number][]) out[c] = (out[c] ?? 0) + n;
  return out;
}

/** A group's cause in plain words; for data-differs, with the pre-flight finding. Plain text. */
export function groupCauseText(g: DiffGroup): string {
  if (!g.cause) return '';
  if (g.cause === 'data-differs' && g.preflight !== undefined) return dataDiffersText(g.preflight);
  return CAUSES[g.cause];
}

/**
 * The sentences that introduce pre-flight findings and the data-differs cause, for any
 * renderer. Plain text; empty when pre-flight found nothing.
 */
export function preflightLines(doc: ReportDocument): string[] {
  const p = doc.preflight;
  if (!p || p.alike) return [];
  return [
    `Pre-flight (${p.method}) found ${p.mismatches.length} collection(s) that start differently on the targets before any operation was replayed. Differences of operations on them are attributed to "${CAUSES['data-differs']}": they come from the clones' data and say nothing about the version. They weigh at most compare.dataDiffers (warn by default), never as a version regression; make the clones start alike to judge these collections.`,
    ...p.mismatches.map((m) => `pre-flight: ${m}`),
  ];
}

/** Rows of server differences shown per command in Markdown and HTML; report.json keeps them all. */
export const SERVER_ROWS_SHOWN = 30;
