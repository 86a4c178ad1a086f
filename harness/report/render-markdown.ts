import { pairedCell } from '../compare/latency.ts';
import { shapeLabel } from '../compare/shape-label.ts';
import { contentionSectionMarkdown } from './contention/render-markdown.ts';
import { renderLintSection } from './lint-findings.ts';
import { plansSectionMarkdown } from './plans-markdown.ts';
import {
  causesText,
  fmtMs,
  fmtRatio,
  fmtSkipped,
  groupCauseText,
  mdCell as cell,
  preflightLines,
  qualityLines,
  SERVER_ROWS_SHOWN,
  shortShape,
  targetLabel,
  stateLine,
  totalCauses,
  verdictWord,
} from './format.ts';
import type { ReportDocument } from './schema.ts';

/** The report as Markdown (for PR comments, wikis, terminals). Pure. */
export function renderMarkdown(doc: ReportDocument): string {
  const md: string[] = [];
  md.push(`# Compatibility report`, '');
  md.push(`Run \`${doc.run.dir}\` (${doc.run.status}), ${doc.run.startedAt} → ${doc.run.endedAt}. Baseline: **${targetLabel(doc, doc.baseline)}**. Candidates: ${doc.candidates.map((c) => `**${targetLabel(doc, c)}**`).join(', ') || 'none'}.`, '');
  md.push(`Exit status: **${doc.exit.status}**${doc.exit.reasons.length ? ` (${doc.exit.reasons.join('; ')})` : ''}.`, '');
  md.push('## Summary', '');
  md.push('| app | candidate | version | verdict | replayed | skipped | difference groups | groups by cause | new errors | latency (paired) | p50 ratio | p99 ratio |');
  md.push('|---|---|---|---|--:|---|--:|---|--:|--:|--:|--:|');
  for (const s of doc.summary) {
    md.push(`| ${cell(s.app)} | ${cell(s.candidate)} | ${cell(s.version)} | **${verdictWord(s.verdict)}** | ${s.replayed} | ${cell(fmtSkipped(s.skipped))} | ${s.groups} | ${cell(causesText(s.causes))} | ${s.newErrors} | ${fmtRatio(s.latency.pairedRatio ?? null)} | ${fmtRatio(s.latency.p50Ratio)} | ${fmtRatio(s.latency.p99Ratio)} |`);
  }
  md.push('');
  md.push(`Difference groups by cause: ${causesText(totalCauses(doc))}.`, '');
  const pre = preflightLines(doc);
  if (pre.length) {
    md.push(pre[0]!, '');
    for (const l of pre.slice(1)) md.push(`- ${cell(l)}`);
    md.push('');
  }
  for (const s of doc.summary) {
    if (s.reasons.length === 0) continue;
    md.push(`**${s.app} on ${s.candidate}: ${verdictWord(s.verdict)}**`, '');
    for (const r of s.reasons) md.push(`- ${verdictWord(r.level)}: ${r.message}`);
    md.push('');
  }
  if (doc.candidates.length > 1) {
    md.push('## Version matrix', '');
    for (const m of doc.matrix) {
      md.push(`### ${m.app}`, '');
      md.push(`| shape | ${doc.candidates.join(' | ')} | first change |`);
      md.push(`|---|${doc.candidates.map(() => '---').join('|')}|---|`);
      for (const s of m.shapes) {
        md.push(`| ${cell(shapeLabel(s.shape, s.shapeText))} | ${s.cells.map((c) => `${c.behaviour}${c.latency === 'regression' || c.latency === 'improvement' ? `, latency ${c.latency} ${fmtRatio(c.pairedRatio ?? c.p99Ratio)}` : ''}${c.plan?.length ? `, plan: ${c.plan.join(', ')}` : ''}`).join(' | ')} | ${s.firstChange ?? '—'} |`);
      }
      md.push('');
    }
  }
  md.push('## Capture quality', '');
  for (const l of qualityLines(doc)) md.push(`- ${l}`);
  for (const n of doc.run.notes) md.push(`- note: ${n}`);
  md.push('');
  for (const a of doc.apps) {
    md.push(`## App: ${a.app}`, '');
    if (a.groups.length === 0) md.push('No differences.', '');
    for (const g of a.groups) {
      md.push(`### ${g.class}: ${g.count} × ${g.label} on ${g.coll ?? g.db} (${g.candidate})`, '');
      md.push(`Shape: \`${shortShape(g.shapeText, 300)}\``, '');
      if (g.cause) md.push(`Cause: **${groupCauseText(g)}**${g.cause !== 'data-differs' && Object.keys(g.causes).length > 1 ? ` (operations: ${causesText(g.causes)})` : ''}`, '');
      if (g.example.ids?.length) md.push(`Differing documents (first): _id ${g.example.ids.join(', ')}`, '');
      if (g.paths.length) md.push(`Paths: ${g.paths.slice(0, 10).map((p) => `\`${p.path}\` (${p.kind}, ${p.count})`).join(', ')}`, '');
      md.push(`Example seq ${g.example.seq}; seqs: ${g.seqs.slice(0, 20).join(', ')}`, '');
      md.push('<details><summary>evidence</summary>', '', '```json', `// command`, g.example.command, `// baseline (${doc.baseline})`, g.example.baseline, `// candidate (${g.candidate})`, g.example.candidate, '```', '');
      for (const d of g.example.diffs.slice(0, 20)) md.push(`- \`${d.path}\` ${d.kind}: ${d.baseline ?? '∅'} → ${d.candidate ?? '∅'}`);
      md.push('', '</details>', '');
    }
    const noise = doc.noise.filter((n) => a.shapes[n.shape] !== undefined);
    if (noise.length) {
      md.push('Noise cancelled (learnt from the second baseline):', '');
      for (const n of noise) md.push(`- ${shapeLabel(n.shape, a.shapes[n.shape])}: ${n.paths.map((p) => `\`${p.path}\` (${p.count})`).join(', ')}`);
      md.push('');
    }
    if (a.errors.length) {
      md.push('#### Errors', '', '| target | command | shape | code | codeName | count | message |', '|---|---|---|--:|---|--:|---|');
      for (const e of a.errors) md.push(`| ${cell(e.target)} | ${cell(e.cmd)} | ${cell(shapeLabel(e.shape, a.shapes[e.shape]))} | ${e.code ?? ''} | ${cell(e.codeName)} | ${e.count} | ${cell(e.message.slice(0, 120))} |`);
      md.push('');
    }
    const rows = a.latency.filter((l) => l.shape !== '*' || a.latency.length > 0);
    if (rows.length) {
      md.push('#### Latency per shape', '', '| candidate | shape | n | baseline p50 | candidate p50 | baseline p99 | candidate p99 | p50 ratio | p99 ratio | paired ratio [interval] | judgement |', '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|');
      for (const l of rows) {
        md.push(`| ${cell(l.candidate)} | ${cell(shapeLabel(l.shape, a.shapes[l.shape]))} | ${l.baseline.count} | ${fmtMs(l.baseline.p50)} | ${fmtMs(l.candidateStats.p50)} | ${fmtMs(l.baseline.p99)} | ${fmtMs(l.candidateStats.p99)} | ${fmtRatio(l.ratios.p50)} | ${fmtRatio(l.ratios.p99)} | ${pairedCell(l)} | ${l.judgement}${l.level !== 'pass' ? ` (${l.level})` : ''} |`);
      }
      md.push('');
    }
  }
  if (doc.state.length) {
    md.push('## State after writes', '');
    for (const s of doc.state) md.push(`- ${cell(stateLine(s))}`);
    md.push('');
  }
  if (doc.serverDifferences.length) {
    md.push('## Server differences', '');
    md.push('How the replies of server-describing commands (buildInfo, serverStatus, getParameter, …) differ. They describe the servers, so they are not part of any verdict; only whether they succeeded is judged.', '');
    for (const d of doc.serverDifferences) {
      md.push(`### ${d.command} on ${d.candidate} (${d.operations} operation${d.operations === 1 ? '' : 's'} differed)`, '');
      md.push(`| path | ${cell(targetLabel(doc, doc.baseline))} | ${cell(targetLabel(doc, d.candidate))} | operations |`, '|---|---|---|--:|');
      for (const p of d.paths.slice(0, SERVER_ROWS_SHOWN)) md.push(`| \`${cell(p.path)}\` | ${cell(p.baseline ?? '∅')} | ${cell(p.candidate ?? '∅')} | ${p.count} |`);
      const more = d.paths.length - Math.min(d.paths.length, SERVER_ROWS_SHOWN) + d.morePaths;
      if (more > 0) md.push('', `…and ${more} more path(s) (report.json lists ${d.paths.length}).`);
      md.push('');
    }
  }
  if (doc.plans) md.push(...plansSectionMarkdown(doc));
  if (doc.lint) md.push(renderLintSection(doc.lint));
  if (doc.bench) md.push(...contentionSectionMarkdown(doc.bench));
  return `${md.join('\n')}\n`;
}
