import { pairedCell } from '../compare/latency.ts';
import { shapeLabel } from '../compare/shape-label.ts';
import { DIFF_CLASSES, type DiffClass, type LatencyRow } from '../compare/types.ts';
import { stackedBarChart } from './charts/bar-chart.ts';
import { cdfChart } from './charts/cdf-chart.ts';
import { contentionSectionHtml } from './contention/render-html.ts';
import { renderLintSectionHtml } from './lint-findings.ts';
import { plansSectionHtml } from './plans-html.ts';
import { escXml as esc } from './escape.ts';
import {
  causesText,
  fmtMs,
  fmtRatio,
  fmtSkipped,
  groupCauseText,
  preflightLines,
  qualityLines,
  SERVER_ROWS_SHOWN,
  shortShape,
  targetLabel,
  stateLine,
  totalCauses,
  verdictWord,
} from './format.ts';
import type { AppSection, ReportDocument } from './schema.ts';

/** Shapes per app whose latency CDF is drawn. */
const CHARTED_SHAPES = 4;

/**
 * One colour per difference class, whichever classes a chart holds: warm for what
 * fails by default, amber for what warns, cool for what passes, green for equal. (By
 * position in the palette, `identical` once came out red whenever it was second.)
 */
export const CLASS_COLOURS: Readonly<Record<DiffClass, string>> = Object.freeze({
  'new-error': '#8e0000',
  'result-differs': '#d62728',
  'error-differs': '#ff7f0e',
  'numeric-type-only': '#bcbd22',
  'field-order-only': '#e6b800',
  'order-only': '#17becf',
  'fixed-error': '#1f77b4',
  unavailable: '#7f7f7f',
  equivalent: '#98df8a',
  identical: '#2ca02c',
});

/**
 * The report as one self-contained HTML file: inline CSS and inline SVG, no script,
 * no external reference, so it opens offline and can be attached to a CI job. Laid
 * out in one column no wider than the window (tables wrap, code scrolls inside its
 * own box) so nobody scrolls sideways. Evidence is folded in <details>.
 */
export function renderHtml(doc: ReportDocument): string {
  const h: string[] = [];
  h.push('<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">');
  h.push(`<title>mongo-compat report: ${esc(doc.candidates.join(', '))} against ${esc(doc.baseline)}</title><style>${CSS}</style></head><body>`);
  h.push('<h1>Compatibility report</h1>');
  h.push(`<p>Run <code>${esc(doc.run.dir)}</code> (${esc(doc.run.status)}), ${esc(doc.run.startedAt)} → ${esc(doc.run.endedAt)}. Baseline <b>${esc(targetLabel(doc, doc.baseline))}</b>; candidates ${doc.candidates.map((c) => `<b>${esc(targetLabel(doc, c))}</b>`).join(', ') || 'none'}.</p>`);
  h.push(`<p>Exit status <b>${doc.exit.status}</b>${doc.exit.reasons.length ? `: ${esc(doc.exit.reasons.join('; '))}` : ''}.</p>`);

  h.push('<h2 id="summary">Summary</h2><table id="summary-table" class="summary"><thead><tr><th>app</th><th>candidate</th><th>version</th><th>verdict</th><th>replayed</th><th>skipped</th><th>difference groups</th><th>groups by cause</th><th>new errors</th><th>latency (paired)</th><th>p50 ratio</th><th>p99 ratio</th></tr></thead><tbody>');
  for (const s of doc.summary) {
    h.push(`<tr><td>${esc(s.app)}</td><td>${esc(s.candidate)}</td><td>${esc(s.version)}</td><td class="v-${s.verdict}">${verdictWord(s.verdict)}</td><td class="n">${s.replayed}</td><td>${esc(fmtSkipped(s.skipped))}</td><td class="n">${s.groups}</td><td>${esc(causesText(s.causes))}</td><td class="n">${s.newErrors}</td><td class="n">${fmtRatio(s.latency.pairedRatio ?? null)}</td><td class="n">${fmtRatio(s.latency.p50Ratio)}</td><td class="n">${fmtRatio(s.latency.p99Ratio)}</td></tr>`);
  }
  h.push('</tbody></table>');
  h.push(`<p>Difference groups by cause: ${esc(causesText(totalCauses(doc)))}.</p>`);
  const pre = preflightLines(doc);
  if (pre.length) h.push(`<div class="preflight"><p>${esc(pre[0]!)}</p><ul>${pre.slice(1).map((l) => `<li><code>${esc(l)}</code></li>`).join('')}</ul></div>`);
  for (const s of doc.summary) {
    if (!s.reasons.length) continue;
    h.push(`<details open><summary><b>${esc(s.app)}</b> on <b>${esc(s.candidate)}</b>: <span class="v-${s.verdict}">${verdictWord(s.verdict)}</span> (${s.reasons.length} reason${s.reasons.length === 1 ? '' : 's'})</summary><ul>`);
    for (const r of s.reasons) h.push(`<li><span class="v-${r.level}">${verdictWord(r.level)}</span> ${esc(r.message)} <a href="#${anchor(s.app, r.evidence.kind === 'state' ? 'state' : r.evidence.shape)}">evidence</a></li>`);
    h.push('</ul></details>');
  }

  if (doc.candidates.length > 1) {
    h.push('<h2 id="matrix">Version matrix</h2>');
    for (const m of doc.matrix) {
      h.push(`<h3>${esc(m.app)}</h3><table class="matrix"><thead><tr><th>shape</th>${doc.candidates.map((c) => `<th>${esc(targetLabel(doc, c))}</th>`).join('')}<th>first change</th></tr></thead><tbody>`);
      for (const s of m.shapes) {
        h.push(`<tr><td>${esc(shapeLabel(s.shape, s.shapeText))}</td>${s.cells.map((c) => `<td class="v-${c.level}">${esc(c.behaviour)}${c.latency === 'regression' || c.latency === 'improvement' ? `<br>latency ${esc(c.latency)} ${fmtRatio(c.pairedRatio ?? c.p99Ratio)}` : ''}${c.plan?.length ? `<br>plan: ${esc(c.plan.join(', '))}` : ''}</td>`).join('')}<td>${esc(s.firstChange ?? '—')}</td></tr>`);
      }
      h.push('</tbody></table>');
    }
  }

  h.push('<h2 id="quality">Capture quality</h2><ul>');
  for (const l of qualityLines(doc)) h.push(`<li>${esc(l)}</li>`);
  for (const n of doc.run.notes) h.push(`<li>note: ${esc(n)}</li>`);
  h.push('</ul>');

  for (const a of doc.apps) h.push(appSection(doc, a));

  if (doc.state.length) {
    h.push('<h2 id="state">State after writes</h2><ul>');
    for (const s of doc.state) {
      h.push(`<li id="${anchor('', 'state')}">${esc(stateLine(s))}`);
      if (s.samples?.length) h.push(`<details><summary>samples</summary>${s.samples.map((x) => `<div class="pair"><div><h5>baseline</h5><pre>${esc(x.baseline ?? '∅')}</pre></div><div><h5>candidate</h5><pre>${esc(x.candidate ?? '∅')}</pre></div></div>`).join('')}</details>`);
      h.push('</li>');
    }
    h.push('</ul>');
  }
  if (doc.serverDifferences.length) {
    h.push('<h2 id="server">Server differences</h2><p>How the replies of server-describing commands (buildInfo, serverStatus, getParameter, …) differ. They describe the servers, so they are not part of any verdict; only whether they succeeded is judged.</p>');
    for (const d of doc.serverDifferences) {
      h.push(`<details class="group"><summary><b>${esc(d.command)}</b> on ${esc(d.candidate)}: ${d.paths.length + d.morePaths} path(s), ${d.operations} operation(s)</summary>`);
      h.push(`<table class="server"><thead><tr><th>path</th><th>${esc(targetLabel(doc, doc.baseline))}</th><th>${esc(targetLabel(doc, d.candidate))}</th><th>operations</th></tr></thead><tbody>`);
      for (const p of d.paths.slice(0, SERVER_ROWS_SHOWN)) h.push(`<tr><td><code>${esc(p.path)}</code></td><td><code>${esc(p.baseline ?? '∅')}</code></td><td><code>${esc(p.candidate ?? '∅')}</code></td><td class="n">${p.count}</td></tr>`);
      h.push('</tbody></table>');
      const more = d.paths.length - Math.min(d.paths.length, SERVER_ROWS_SHOWN) + d.morePaths;
      if (more > 0) h.push(`<p>…and ${more} more path(s) (report.json lists ${d.paths.length}).</p>`);
      h.push('</details>');
    }
  }
  if (doc.plans) h.push(plansSectionHtml(doc));
  if (doc.lint) h.push(renderLintSectionHtml(doc.lint));
  if (doc.bench) h.push(contentionSectionHtml(doc.bench));
  h.push(`<footer>mongo-compat report format ${doc.version}, generated ${esc(doc.generatedAt)}.</footer></body></html>`);
  return `${h.join('\n')}\n`;
}

function appSection(doc: ReportDocument, a: AppSection): string {
  const h: string[] = [`<h2 id="${anchor(a.app, '')}">App: ${esc(a.app)}</h2>`];
  const present = DIFF_CLASSES.filter((c) => Object.values(a.classes).some((counts) => (counts[c] ?? 0) > 0));
  if (present.length) {
    h.push(`<figure>${stackedBarChart(`Operations per difference class: ${a.app}`, Object.entries(a.classes).map(([cand, counts]) => ({ label: cand, parts: present.map((c) => ({ name: c, value: counts[c] ?? 0 })) })), present, undefined, CLASS_COLOURS)}</figure>`);
  }
  const charted = a.distributions.slice(0, CHARTED_SHAPES);
  if (charted.length) {
    h.push('<h3>Latency distribution of the busiest shapes</h3><div class="charts">');
    for (const d of charted) {
      const series = Object.entries(d.targets).map(([name, t]) => ({ name, points: t.points }));
      h.push(`<figure>${cdfChart(`${shapeLabel(d.shape, d.shapeText)}, ${d.count} ops`, series)}<figcaption><code>${esc(shortShape(d.shapeText, 200))}</code></figcaption></figure>`);
    }
    h.push('</div>');
  }
  h.push('<h3>Differences</h3>');
  if (a.groups.length === 0) h.push('<p>No differences.</p>');
  for (const g of a.groups) {
    h.push(`<details id="${anchor(a.app, g.shape)}" class="group"><summary><span class="cls">${esc(g.class)}</span> ${g.count} × <b>${esc(g.label)}</b> on ${esc(g.coll ?? g.db)} (${esc(g.candidate)})${g.paths.length ? ` at ${esc(g.paths.slice(0, 3).map((p) => p.path).join(', '))}` : ''}${g.cause ? ` <span class="cause${g.cause === 'data-differs' ? ' data' : ''}">${esc(g.cause === 'data-differs' ? 'data differs before replay' : `cause: ${groupCauseText(g)}`)}</span>` : ''}</summary>`);
    h.push(`<p>Shape: <code>${esc(shortShape(g.shapeText, 400))}</code></p>`);
    if (g.cause) h.push(`<p>Cause: <b>${esc(groupCauseText(g))}</b>${g.cause !== 'data-differs' && Object.keys(g.causes).length > 1 ? ` (operations: ${esc(causesText(g.causes))})` : ''}</p>`);
    if (g.example.ids?.length) h.push(`<p>Differing documents (first): _id <code>${esc(g.example.ids.join(', '))}</code></p>`);
    if (g.paths.length) h.push(`<table><thead><tr><th>path</th><th>kind</th><th>operations</th></tr></thead><tbody>${g.paths.slice(0, 20).map((p) => `<tr><td><code>${esc(p.path)}</code></td><td>${esc(p.kind)}</td><td class="n">${p.count}</td></tr>`).join('')}</tbody></table>`);
    h.push(`<p>Example: seq ${g.example.seq}. Seqs: ${esc(g.seqs.slice(0, 30).join(', '))}${g.count > g.seqs.length ? ' …' : ''}</p>`);
    if (g.example.diffs.length) h.push(`<ul class="diffs">${g.example.diffs.slice(0, 20).map((d) => `<li><code>${esc(d.path)}</code> ${esc(d.kind)}: <code>${esc(d.baseline ?? '∅')}</code> → <code>${esc(d.candidate ?? '∅')}</code></li>`).join('')}</ul>`);
    h.push(`<details><summary>command</summary><pre>${esc(g.example.command)}</pre></details>`);
    h.push(`<div class="pair"><div><h5>baseline ${esc(doc.baseline)}</h5><pre>${esc(g.example.baseline)}</pre></div><div><h5>candidate ${esc(g.candidate)}</h5><pre>${esc(g.example.candidate)}</pre></div></div>`);
    h.push('</details>');
  }
  const noise = doc.noise.filter((n) => a.shapes[n.shape] !== undefined);
  if (noise.length) {
    h.push(`<details><summary>Noise cancelled (${noise.length} shape(s))</summary><ul>${noise.map((n) => `<li>${esc(shapeLabel(n.shape, a.shapes[n.shape]))}: ${esc(n.paths.map((p) => `${p.path} (${p.count})`).join(', '))}</li>`).join('')}</ul></details>`);
  }
  if (a.errors.length) {
    h.push('<h3>Errors</h3><table><thead><tr><th>target</th><th>command</th><th>shape</th><th>code</th><th>codeName</th><th>count</th><th>message</th></tr></thead><tbody>');
    for (const e of a.errors) h.push(`<tr><td>${esc(e.target)}</td><td>${esc(e.cmd)}</td><td>${esc(shapeLabel(e.shape, a.shapes[e.shape]))}</td><td class="n">${e.code ?? ''}</td><td>${esc(e.codeName)}</td><td class="n">${e.count}</td><td>${esc(e.message.slice(0, 200))}</td></tr>`);
    h.push('</tbody></table>');
  }
  if (a.latency.length) {
    h.push('<h3>Latency per shape</h3><table class="latency"><thead><tr><th>candidate</th><th>shape</th><th>n</th><th>baseline p50</th><th>cand. p50</th><th>baseline p99</th><th>cand. p99</th><th>p50 ratio</th><th>p99 ratio</th><th>paired ratio [interval]</th><th>judgement</th></tr></thead><tbody>');
    for (const l of a.latency) {
      h.push(`<tr data-shape="${esc(l.shape)}"><td>${esc(l.candidate)}</td><td${l.shape === '*' ? '' : ` title="${esc(a.shapes[l.shape] ?? '')}"`}>${esc(shapeLabel(l.shape, a.shapes[l.shape]))}</td><td class="n">${l.baseline.count}</td><td class="n">${fmtMs(l.baseline.p50)}</td><td class="n">${fmtMs(l.candidateStats.p50)}</td><td class="n">${fmtMs(l.baseline.p99)}</td><td class="n">${fmtMs(l.candidateStats.p99)}</td><td class="n">${fmtRatio(l.ratios.p50)}</td><td class="n">${fmtRatio(l.ratios.p99)}</td><td class="n"${l.noise ? ` title="baselines ×${l.noise.ratio.toFixed(2)} [${l.noise.lower.toFixed(2)}, ${l.noise.upper.toFixed(2)}]"` : ''}>${esc(pairedCell(l))}</td><td class="${judgementClass(l)}">${esc(l.judgement)}</td></tr>`);
    }
    h.push('</tbody></table>');
  }
  return h.join('\n');
}

/**
 * The colour of a latency judgement: a regression takes its verdict level's colour, an
 * improvement is green; `same` stays plain and `insufficient-samples` grey, because
 * neither says the latency is fine (green would claim a judgement that was not made).
 */
function judgementClass(l: LatencyRow): string {
  if (l.judgement === 'regression') return l.level === 'pass' ? 'j-regression' : `v-${l.level}`;
  if (l.judgement === 'improvement') return 'j-improvement';
  return l.judgement === 'insufficient-samples' ? 'j-insufficient' : 'j-same';
}

function anchor(app: string, shape: string): string {
  return `g-${`${app}-${shape}`.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

const CSS = `*{box-sizing:border-box}body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1100px;padding:0 1em;color:#222;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:.5em 0 1.2em;width:100%;table-layout:auto}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.v-pass{color:#1a7f37;font-weight:bold}.v-warn{color:#9a6700;font-weight:bold}.v-fail{color:#c62828;font-weight:bold}
.j-same{color:#444}.j-insufficient{color:#777;font-style:italic}.j-improvement{color:#1a7f37}.j-regression{color:#9a6700}
.cause{display:inline-block;border-radius:3px;padding:0 .4em;font-size:12px;background:#eef}.cause.data{background:#fff3cd}
.preflight{border-left:4px solid #e6b800;background:#fffbea;padding:.3em .8em;margin:.6em 0}
pre{background:#f7f7f7;padding:.5em;max-height:24em;overflow:auto;white-space:pre-wrap;word-break:break-all;font-size:12px}
code{font-size:12px}.pair{display:grid;grid-template-columns:1fr 1fr;gap:.8em}.pair>div{min-width:0}
details{margin:.4em 0}details.group{border:1px solid #ddd;border-radius:4px;padding:.3em .6em}summary{cursor:pointer}
.cls{display:inline-block;background:#eee;border-radius:3px;padding:0 .4em;font-family:monospace}
.charts{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0;max-width:100%}svg.chart,figure svg{max-width:100%;height:auto}
figcaption{max-width:520px}footer{color:#777;margin-top:2em;font-size:12px}`;
