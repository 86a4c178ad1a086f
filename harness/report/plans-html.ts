import { nodeLabel, type PlanNode } from '../plans/tree.ts';
import { escXml as esc } from './escape.ts';
import { shortShape, targetLabel, verdictWord } from './format.ts';
import { markedNodes, metricsText, planTitle as title, plansInOrder, scanSummary as outcomeWord } from './plans-report.ts';
import type { ReportPlanShape } from './plans-types.ts';
import type { ReportDocument } from './schema.ts';

const MARK = 'background:#fde2e1;outline:1px solid #c62828';

/**
 * The Plans section in HTML: a table of explained operations, then per operation the
 * trees of every target side by side, each node a collapsible <details>, the nodes a
 * change names marked. No script: <details> folds by itself. Pure.
 */
export function plansSectionHtml(doc: ReportDocument): string {
  const plans = doc.plans ?? [];
  const info = doc.plansInfo;
  const h: string[] = ['<h2 id="plans">Plans</h2>'];
  h.push(`<p>${plans.length} operation(s) explained on every target${info ? ` (verbosity ${esc(info.verbosity)}; writes at queryPlanner; time limit ${info.timeLimitMs} ms)` : ''}. Changed nodes are <span style="${MARK}">marked</span>.</p>`);
  if (plans.length === 0) return h.join('\n');
  const names = [doc.baseline, ...doc.candidates];
  h.push(`<table class="plans"><thead><tr><th>operation</th>${names.map((n) => `<th>${esc(targetLabel(doc, n))}</th>`).join('')}<th>first change</th></tr></thead><tbody>`);
  const ordered = plansInOrder(plans);
  for (const s of ordered) {
    h.push(`<tr><td><a href="#${anchor(s)}">${esc(title(s))}</a></td>${names.map((n) => `<td${n !== doc.baseline && s.level[n] && s.level[n] !== 'same' ? ` class="v-${s.level[n] === 'info' ? 'pass' : s.level[n]}"` : ''}>${esc(outcomeWord(s.targets[n]))}${n !== doc.baseline && s.level[n] && s.level[n] !== 'same' ? ` (${esc(verdictWord(s.level[n]))})` : ''}</td>`).join('')}<td>${esc(s.firstChange ?? '—')}</td></tr>`);
  }
  h.push('</tbody></table>');
  for (const s of ordered) {
    const changes = Object.entries(s.changes).flatMap(([c, list]) => list.map((x) => ({ c, x })));
    const open = changes.some(({ x }) => x.level !== 'info');
    h.push(`<details id="${anchor(s)}" class="group"${open ? ' open' : ''}><summary><b>${esc(title(s))}</b>${changes.length ? `: ${esc(changes.map(({ c, x }) => `${x.kind} on ${c}`).join(', '))}` : ': same plan'}</summary>`);
    h.push(`<p>Shape <code>${esc(shortShape(s.shapeText, 300))}</code>, operation seq ${s.seq}; explained <code>${esc(shortShape(s.command, 400))}</code></p>`);
    if (changes.length) h.push(`<ul>${changes.map(({ c, x }) => `<li><span class="v-${x.level === 'info' ? 'pass' : x.level}">${esc(verdictWord(x.level))}</span> on ${esc(c)}: <b>${esc(x.kind)}</b> ${esc(x.message)}</li>`).join('')}</ul>`);
    h.push(`<div class="pair" style="grid-template-columns:repeat(${names.length},1fr)">`);
    for (const n of names) {
      const o = s.targets[n];
      h.push(`<div><h5>${esc(targetLabel(doc, n))}${o?.ok ? ` <small>${esc(o.plan.engine + metricsText(o))}</small>` : ''}</h5>`);
      if (!o) h.push('<p>not explained</p>');
      else if (!o.ok) h.push(`<p class="v-fail">explain failed: ${esc(o.error.message)}</p>`);
      else h.push(`<ul class="plan">${tree(o.plan.root, '0', markedNodes(s, n, doc.baseline))}</ul>`);
      h.push('</div>');
    }
    h.push('</div></details>');
  }
  return h.join('\n');
}

function tree(node: PlanNode, path: string, marked: ReadonlySet<string>): string {
  const label = `<code${marked.has(path) ? ` class="changed" style="${MARK}"` : ''}>${esc(nodeLabel(node))}</code>`;
  if (node.children.length === 0) return `<li>${label}</li>`;
  return `<li><details open><summary>${label}</summary><ul>${node.children.map((c, i) => tree(c, `${path}.${i}`, marked)).join('')}</ul></details></li>`;
}

function anchor(s: ReportPlanShape): string {
  return `plan-${s.shape}-${s.seq}`.replace(/[^A-Za-z0-9_-]/g, '_');
}
