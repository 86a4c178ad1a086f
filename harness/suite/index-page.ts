import { escXml as esc } from '../report/escape.ts';
import type { CellChanges } from './compare-history.ts';
import type { HistoryCell, HistoryEntry } from './history.ts';

/**
 * The suite's index page over apps × candidates: per cell the verdict, the difference
 * groups new since the last comparable run, fixed and still open, a verdict strip over
 * the last runs, and a link to the app's report. One document, three renderings
 * (JSON, Markdown, self-contained HTML). Pure.
 */
export const INDEX_FORMAT = 'mongo-compat-suite-index';
export const INDEX_VERSION = 1;

export interface IndexCell extends HistoryCell {
  readonly changes: CellChanges;
  /** Verdicts of this cell in the last runs, oldest first, this run last (`-` where the cell did not exist). */
  readonly trend: readonly string[];
  /** The whole app's p99 latency ratio over the same runs (null where unknown). */
  readonly p99Trend: readonly (number | null)[];
}

export interface IndexDocument {
  readonly format: typeof INDEX_FORMAT;
  readonly version: typeof INDEX_VERSION;
  readonly runId: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly baseline: string;
  readonly apps: readonly string[];
  readonly candidates: readonly { readonly name: string; readonly version: string }[];
  readonly cells: readonly IndexCell[];
  readonly failOn: 'new' | 'any';
  readonly exit: { readonly status: number; readonly reasons: readonly string[] };
  readonly warnings: readonly string[];
  /** Where the history lives (history.jsonl). */
  readonly history: string;
}

/** The verdict strip of one cell: the last `n` runs (history then this one). */
export function trendOf(history: readonly HistoryEntry[], cell: HistoryCell, n: number): string[] {
  const past = history.slice(Math.max(0, history.length - (n - 1))).map((e) => e.cells.find((c) => c.app === cell.app && c.candidate === cell.candidate)?.verdict ?? '-');
  return [...past, cell.verdict];
}

/** The whole app's p99 ratio (shape `*`) over the last `n` runs, this one last. */
export function p99TrendOf(history: readonly HistoryEntry[], cell: HistoryCell, n: number): (number | null)[] {
  const ratio = (c: HistoryCell | undefined) => c?.latency['*'] ?? null;
  const past = history.slice(Math.max(0, history.length - (n - 1))).map((e) => ratio(e.cells.find((c) => c.app === cell.app && c.candidate === cell.candidate)));
  return [...past, ratio(cell)];
}

/** A small inline SVG line of p99 ratios with the 1.0 line; empty when fewer than two points are known. */
export function sparkline(values: readonly (number | null)[]): string {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (known.length < 2) return '';
  const w = 120;
  const h = 28;
  const lo = Math.min(1, ...known);
  const hi = Math.max(1, ...known);
  const span = hi - lo || 1;
  const x = (i: number) => (values.length === 1 ? 0 : (i * w) / (values.length - 1));
  const y = (v: number) => h - 2 - ((v - lo) / span) * (h - 4);
  const pts = values.map((v, i) => (v === null || !Number.isFinite(v) ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter((p): p is string => p !== null);
  const last = known[known.length - 1]!;
  return `<svg class="p99" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="p99 ratio over the last runs, last ${last.toFixed(2)}"><line x1="0" x2="${w}" y1="${y(1).toFixed(1)}" y2="${y(1).toFixed(1)}" stroke="#bbb" stroke-dasharray="2,2"/><polyline fill="none" stroke="#36c" stroke-width="1.5" points="${pts.join(' ')}"/></svg>`;
}

export function renderIndexJson(doc: IndexDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const mdCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const STRIP: Readonly<Record<string, string>> = { pass: 'P', warn: 'W', fail: 'F', error: 'E', '-': '·' };

function cellOf(doc: IndexDocument, app: string, candidate: string): IndexCell | undefined {
  return doc.cells.find((c) => c.app === app && c.candidate === candidate);
}

export function renderIndexMarkdown(doc: IndexDocument): string {
  const out: string[] = [];
  out.push(`# mongo-compat suite ${doc.runId}`, '');
  out.push(`Baseline ${doc.baseline}; ${doc.startedAt} → ${doc.endedAt}; exit status ${doc.exit.status}${doc.exit.reasons.length ? ` (${doc.exit.reasons.join('; ')})` : ''}; failing on ${doc.failOn === 'new' ? 'new difference groups' : 'any difference'}.`, '');
  out.push(`| app | ${doc.candidates.map((c) => mdCell(`${c.name} (${c.version})`)).join(' | ')} |`);
  out.push(`|---|${doc.candidates.map(() => '---').join('|')}|`);
  for (const app of doc.apps) {
    const cells = doc.candidates.map((cand) => {
      const c = cellOf(doc, app, cand.name);
      if (!c) return '—';
      const strip = c.trend.map((v) => STRIP[v] ?? '?').join('');
      const text = c.verdict === 'error' ? `ERROR: ${c.error ?? ''}` : `${c.verdict.toUpperCase()}: ${c.changes.new.length} new, ${c.changes.open.length} open, ${c.changes.fixed.length} fixed`;
      return mdCell(`${c.report ? `[${text}](${c.report})` : text} \`${strip}\``);
    });
    out.push(`| ${mdCell(app)} | ${cells.join(' | ')} |`);
  }
  out.push('');
  for (const c of doc.cells) {
    if (c.changes.new.length === 0 && c.changes.fixed.length === 0) continue;
    out.push(`## ${c.app} on ${c.candidate}`, '');
    for (const g of c.changes.new) out.push(`- NEW ${g.id}${c.changes.accepted.includes(g.id) ? ' (accepted)' : ''}: ${g.class}${g.cause ? ` (${g.cause})` : ''} ${g.label}${g.paths.length ? ` at ${g.paths.join(', ')}` : ''}`);
    for (const g of c.changes.fixed) out.push(`- FIXED ${g.id}: ${g.class} ${g.label}`);
    out.push('');
  }
  if (doc.warnings.length) out.push('## Warnings', '', ...doc.warnings.map((w) => `- ${w}`), '');
  return `${out.join('\n')}\n`;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.4em .6em;vertical-align:top}
.pass{background:#e6f4e6}.warn{background:#fff4d6}.fail{background:#fbe0e0}.error{background:#eee;outline:2px solid #b00}
.strip span{display:inline-block;width:.9em;height:.9em;margin-right:1px}.strip .pass{background:#3a3}.strip .warn{background:#e90}.strip .fail{background:#c33}.strip .error{background:#555}.strip .none{background:#ddd}
.new{color:#b00;font-weight:600}small{color:#555}`;

export function renderIndexHtml(doc: IndexDocument): string {
  const h: string[] = [];
  h.push('<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">');
  h.push(`<title>mongo-compat suite ${esc(doc.runId)}</title><style>${CSS}</style></head><body>`);
  h.push(`<h1>mongo-compat suite ${esc(doc.runId)}</h1>`);
  h.push(`<p>Baseline <b>${esc(doc.baseline)}</b>; ${esc(doc.startedAt)} → ${esc(doc.endedAt)}. Exit status <b id="exit">${doc.exit.status}</b>${doc.exit.reasons.length ? `: ${esc(doc.exit.reasons.join('; '))}` : ''}.</p>`);
  h.push(`<table id="matrix"><thead><tr><th>app</th>${doc.candidates.map((c) => `<th>${esc(c.name)}<br><small>${esc(c.version)}</small></th>`).join('')}</tr></thead><tbody>`);
  for (const app of doc.apps) {
    h.push(`<tr><th>${esc(app)}</th>`);
    for (const cand of doc.candidates) {
      const c = cellOf(doc, app, cand.name);
      if (!c) {
        h.push('<td>—</td>');
        continue;
      }
      const strip = `<div class="strip" title="last ${c.trend.length} runs, oldest first">${c.trend.map((v) => `<span class="${v === '-' ? 'none' : esc(v)}" title="${esc(v)}"></span>`).join('')}</div>`;
      const body =
        c.verdict === 'error'
          ? `<b>ERROR</b><br><small class="cell-error">${esc(c.error ?? '')}</small>`
          : `<b>${c.verdict.toUpperCase()}</b><br><span class="${c.changes.new.length ? 'new' : ''}">${c.changes.new.length} new</span>, ${c.changes.open.length} open, ${c.changes.fixed.length} fixed`;
      const linked = c.report ? `<a href="${esc(c.report)}">${body}</a>` : body;
      h.push(`<td class="${esc(c.verdict)}" data-app="${esc(c.app)}" data-candidate="${esc(c.candidate)}">${linked}${strip}${sparkline(c.p99Trend)}</td>`);
    }
    h.push('</tr>');
  }
  h.push('</tbody></table>');
  for (const c of doc.cells) {
    if (c.changes.new.length === 0 && c.changes.fixed.length === 0) continue;
    h.push(`<h2>${esc(c.app)} on ${esc(c.candidate)}</h2><ul>`);
    for (const g of c.changes.new) h.push(`<li><span class="new">NEW</span> <code>${esc(g.id)}</code>${c.changes.accepted.includes(g.id) ? ' (accepted)' : ''}: ${esc(g.class)}${g.cause ? ` (${esc(g.cause)})` : ''} ${esc(g.label)}${g.paths.length ? ` at <code>${esc(g.paths.join(', '))}</code>` : ''}</li>`);
    for (const g of c.changes.fixed) h.push(`<li>FIXED <code>${esc(g.id)}</code>: ${esc(g.class)} ${esc(g.label)}</li>`);
    h.push('</ul>');
  }
  if (doc.warnings.length) h.push(`<h2>Warnings</h2><ul>${doc.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`);
  h.push('</body></html>\n');
  return h.join('\n');
}
