import { fmtNum, fmtUs, kneeSentence } from '../../contention/format.ts';
import type { ContentionResult } from '../../contention/result.ts';
import { lineChart, type LineSeries, type Marker } from '../charts/line-chart.ts';
import { escXml as esc } from '../escape.ts';
import { fmtErrors, fmtHarness, fmtLog, fmtMetric, harnessBoundSentence, settingsLine, stepsOf } from './format.ts';

/**
 * The contention result as one self-contained HTML file (contention.html): inline CSS
 * and inline SVG charts (throughput and p99 against workers, one line per target,
 * knees marked), no script, no external resource. Pure.
 */
export function renderContentionHtml(result: ContentionResult): string {
  const p99: LineSeries[] = result.targets.map((t) => ({ name: t.name, points: stepsOf(result, t.name).map((s) => ({ x: s.workers, y: round(s.latency.p99Us / 1000) })) }));
  const markers: Marker[] = result.summary
    .filter((s) => s.knee && !s.knee.stillRising && result.settings.workers.length > 1)
    .map((s) => ({ series: s.target, x: s.knee!.workers, y: round(s.knee!.opsPerSec), label: `knee ${s.knee!.workers}` }));
  const tputSvg = lineChart({ title: 'Throughput (findAndModify/s)', xLabel: 'workers', yLabel: 'ops/s', xScale: 'log2', series: throughput(result, round), markers });
  const p99Svg = lineChart({ title: 'p99 latency (ms)', xLabel: 'workers', yLabel: 'p99 ms', xScale: 'log2', series: p99 });

  const h: string[] = [];
  h.push('<!doctype html><html lang="en"><head><meta charset="utf-8">');
  h.push(`<title>findAndModify contention: ${esc(result.settings.workload)}</title>`);
  h.push(`<style>${CSS}</style></head><body>`);
  h.push(`<h1>findAndModify contention: ${esc(result.settings.workload)}</h1>`);
  h.push(`<p>${esc(settingsLine(result))}.</p>`);
  h.push('<ul>');
  for (const t of result.targets) h.push(`<li><b>${esc(t.name)}</b>: ${esc(t.product)} at <code>${esc(t.displayUri)}</code></li>`);
  h.push('</ul><h2>Summary</h2><ul>');
  for (const t of result.targets) h.push(`<li>${esc(kneeSentence(result, t.name))}</li>`);
  h.push('</ul>');
  const bound = harnessBoundSentence(result);
  if (bound) h.push(`<p class="warn">${esc(bound)}</p>`);
  h.push(result.violations === 0 ? '<p class="ok">Invariants held in every step.</p>' : `<p class="bad">INVARIANT VIOLATIONS: ${result.violations}. Exactly-once / single-holder guarantees were broken; see below.</p>`);
  h.push(`<div class="charts"><figure>${tputSvg}</figure><figure>${p99Svg}</figure></div>`);
  h.push('<h2>Scaling</h2><table><tr><th>target</th><th>workers</th><th>ops/s</th><th>p50</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th><th>errors</th><th>invariants</th><th>harness</th></tr>');
  for (const t of result.targets) {
    for (const s of stepsOf(result, t.name)) {
      const l = s.latency;
      h.push(`<tr><td>${esc(t.name)}</td><td class="n">${s.workers}</td><td class="n">${fmtNum(s.opsPerSec, 1)}</td><td class="n">${fmtUs(l.p50Us)}</td><td class="n">${fmtUs(l.p95Us)}</td><td class="n">${fmtUs(l.p99Us)}</td><td class="n">${fmtUs(l.p999Us)}</td><td class="n">${fmtUs(l.maxUs)}</td><td>${esc(fmtErrors(s.errors))}</td><td class="${s.invariants.violations === 0 ? 'ok' : 'bad'}">${s.invariants.violations === 0 ? 'held' : `${s.invariants.violations} violated`}</td><td${s.harness?.bound ? ' class="warn"' : ''}>${esc(fmtHarness(s))}</td></tr>`);
    }
  }
  h.push('</table><h2>Server metrics (measured window)</h2>');
  for (const t of result.targets) {
    const steps = stepsOf(result, t.name);
    h.push(`<h3>${esc(t.name)}</h3><table><tr><th>figure</th>${steps.map((s) => `<th>${s.workers} workers</th>`).join('')}</tr>`);
    const names = steps[0]?.server.map((m) => m.name) ?? [];
    for (const name of names) {
      h.push(`<tr><td>${esc(name)}</td>${steps.map((s) => cell(fmtMetric(s.server.find((m) => m.name === name)!))).join('')}</tr>`);
    }
    h.push(`<tr><td>getLog write-conflict lines (id 23802)</td>${steps.map((s) => cell(fmtLog(s.log))).join('')}</tr>`);
    h.push('</table>');
  }
  const bad = result.steps.filter((s) => s.invariants.violations > 0);
  if (bad.length > 0) {
    h.push('<h2 class="bad">Invariant violations</h2><ul>');
    for (const s of bad) {
      h.push(`<li>${esc(s.target)}, ${s.workers} workers: ${s.invariants.violations}<ul>`);
      for (const v of s.invariants.examples) h.push(`<li><code>${esc(v.kind)}</code> ${esc(v.detail)}</li>`);
      h.push('</ul></li>');
    }
    h.push('</ul>');
  }
  h.push('</body></html>');
  return h.join('\n');
}

/**
 * The section a replay report gets when `report --bench contention.json` is given:
 * the throughput curves and one row per target. It is styled by the report's CSS.
 */
export function contentionSectionHtml(result: ContentionResult): string {
  const svg = lineChart({ title: 'Contention: throughput (findAndModify/s)', xLabel: 'workers', yLabel: 'ops/s', xScale: 'log2', series: throughput(result, Math.round), width: 480 });
  const rows = result.summary.map((s) => `<tr><td>${esc(s.target)}</td><td class="n">${s.bestOpsPerSec.toFixed(1)}</td><td class="n">${s.knee ? s.knee.workers : '—'}</td><td class="n">${s.violations}</td></tr>`);
  return `<h2 id="bench">Contention benchmark (${esc(result.settings.workload)})</h2><figure class="bench">${svg}</figure><table><thead><tr><th>target</th><th>best ops/s</th><th>knee (workers)</th><th>invariant violations</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Throughput against workers, one series per target. */
function throughput(result: ContentionResult, rounding: (n: number) => number): LineSeries[] {
  return result.targets.map((t) => ({ name: t.name, points: stepsOf(result, t.name).map((s) => ({ x: s.workers, y: rounding(s.opsPerSec) })) }));
}

function cell(text: string): string {
  return text.startsWith('not available') ? `<td class="na">${esc(text)}</td>` : `<td class="n">${esc(text)}</td>`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}td.na{color:#888;font-style:italic}
.ok{color:#1a7f37}.bad{color:#c62828;font-weight:bold}.warn{color:#9a6700;font-weight:bold}.charts{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0;max-width:100%}svg.chart{max-width:100%;height:auto}`;
