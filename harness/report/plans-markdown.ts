import { nodeLabel, walkPlan } from '../plans/tree.ts';
import { mdCell as cell, shortShape, targetLabel, verdictWord } from './format.ts';
import { markedNodes, metricsText, planTitle as title, plansInOrder, scanSummary as summary } from './plans-report.ts';
import type { ReportDocument } from './schema.ts';

/** The Plans section in Markdown: a table of explained shapes, then each changed one's trees, indented, changed nodes starred. Pure. */
export function plansSectionMarkdown(doc: ReportDocument): string[] {
  const plans = doc.plans ?? [];
  const md: string[] = ['## Plans', ''];
  const info = doc.plansInfo;
  md.push(`${plans.length} operation(s) explained on every target${info ? ` (verbosity ${info.verbosity}; writes at queryPlanner; time limit ${info.timeLimitMs} ms)` : ''}. Nodes marked \`*\` changed.`, '');
  if (plans.length === 0) return [...md, ''];
  const names = [doc.baseline, ...doc.candidates];
  md.push(`| operation | ${names.map((n) => cell(targetLabel(doc, n))).join(' | ')} | first change |`);
  md.push(`|---|${names.map(() => '---').join('|')}|---|`);
  const ordered = plansInOrder(plans);
  for (const s of ordered) {
    md.push(`| ${cell(title(s))} | ${names.map((n) => cell(`${summary(s.targets[n])}${n !== doc.baseline && s.level[n] && s.level[n] !== 'same' ? ` (${verdictWord(s.level[n])})` : ''}`)).join(' | ')} | ${cell(s.firstChange ?? '—')} |`);
  }
  md.push('');
  for (const s of ordered) {
    const changes = Object.entries(s.changes).flatMap(([c, list]) => list.map((x) => ({ c, x })));
    if (changes.length === 0) continue;
    md.push(`### ${title(s)}`, '', `Shape \`${shortShape(s.shapeText, 200)}\`, operation seq ${s.seq}, explained \`${shortShape(s.command, 300)}\``, '');
    for (const { c, x } of changes) md.push(`- ${verdictWord(x.level)} on ${c}: ${x.kind}: ${x.message}`);
    md.push('');
    for (const n of names) {
      const o = s.targets[n];
      md.push(`**${targetLabel(doc, n)}**${o?.ok ? ` (${o.plan.engine}${metricsText(o)})` : ''}`, '', '```text');
      if (!o) md.push('not explained');
      else if (!o.ok) md.push(`explain failed: ${o.error.message}`);
      else {
        const marked = markedNodes(s, n, doc.baseline);
        for (const { node, path } of walkPlan(o.plan.root)) md.push(`${marked.has(path) ? '* ' : '  '}${'  '.repeat(path.split('.').length - 1)}${nodeLabel(node)}`);
      }
      md.push('```', '');
    }
  }
  return md;
}

