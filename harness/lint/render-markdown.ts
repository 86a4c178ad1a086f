import type { Finding, LintResult } from './result.ts';
import { VERSION_PATH } from './types.ts';

/** Markdown for people: per app and step, the findings with counts, shapes, the symptom and what to look at in the replay. Pure. */
export function renderLintMarkdown(r: LintResult): string {
  const out: string[] = [];
  out.push(`# Upgrade lint ${r.from} → ${r.to}`, '');
  out.push(`Captures: ${r.captures.map((c) => `\`${c}\``).join(', ') || 'none'} · ${r.records} operations read${r.skipped > 0 ? ` · ${r.skipped} unreadable lines skipped` : ''}${r.ignored > 0 ? ` · ${r.ignored} not the application's (server-internal, duplicate or undecodable) and not linted` : ''}.`);
  out.push('Findings come from the captured operations alone; a replay against each version confirms or contradicts them.', '');
  if (r.apps.length === 0) out.push('No operations to lint.', '');
  for (const app of r.apps) {
    const total = app.steps.reduce((n, s) => n + s.findings.length, 0);
    out.push(`## App \`${app.app}\``, '', `${app.ops} operations, ${total} finding${total === 1 ? '' : 's'}.`, '');
    for (const { step, findings } of app.steps) {
      const prev = VERSION_PATH[VERSION_PATH.indexOf(step) - 1];
      out.push(`### ${prev} → ${step}`, '');
      if (findings.length === 0) {
        out.push('No rule hit.', '');
        continue;
      }
      out.push('| severity | rule | since | operations | shapes | expect in replay |', '|---|---|---|---|---|---|');
      for (const f of findings) out.push(`| ${f.severity} | \`${f.rule}\` | ${f.since} | ${f.ops} | ${f.shapes.length + f.moreShapes} | ${expectText(f)} |`);
      out.push('');
      for (const f of findings) out.push(...details(f));
    }
  }
  if (r.source) {
    out.push(`## Source scan (lower confidence)`, '');
    out.push(`${r.source.files} files under ${r.source.roots.map((d) => `\`${d}\``).join(', ')}. A name in source says the code can send it, not that it does.`, '');
    if (r.source.hits.length === 0) out.push('No rule names found.', '');
    else {
      out.push('| file:line | rule | step | severity | line |', '|---|---|---|---|---|');
      for (const h of r.source.hits) out.push(`| \`${h.file}:${h.line}\` | \`${h.rule}\` | ${h.step} | ${h.severity} | \`${cell(h.text)}\` |`);
      if (r.source.moreHits > 0) out.push('', `…and ${r.source.moreHits} more hits.`);
      out.push('');
    }
  }
  return `${out.join('\n')}\n`;
}

function expectText(f: Finding): string {
  const code = f.symptom.code !== undefined ? ` ${f.symptom.code}${f.symptom.codeName ? ` ${f.symptom.codeName}` : ''}` : '';
  return `${f.expect}${code}`;
}

function details(f: Finding): string[] {
  const lines = [
    `#### \`${f.rule}\` (${f.severity}, since ${f.since})`,
    '',
    `- **Concerns:** ${f.concerns}`,
    `- **Before:** ${f.before}`,
    `- **After:** ${f.after}`,
    `- **Symptom:** ${expectText(f)}: ${f.symptom.text}`,
    `- **Look at:** ${f.look}`,
    `- **Source:** ${f.source}`,
    `- **Hit by** ${f.ops} operation${f.ops === 1 ? '' : 's'} on ${f.connections}${f.connections >= 64 ? '+' : ''} connection${f.connections === 1 ? '' : 's'}:`,
  ];
  for (const s of f.shapes) lines.push(`  - \`${cell(s.text)}\` ×${s.ops} (shape ${s.id}; e.g. seq ${s.example.seq}, conn ${s.example.conn})`);
  if (f.moreShapes > 0) lines.push(`  - …and ${f.moreShapes} more shapes`);
  lines.push('');
  return lines;
}

/** Inline code in a table cell: no pipes, no backticks, bounded. */
function cell(text: string): string {
  const t = text.replace(/[|`]/g, (c) => (c === '|' ? '\\|' : "'"));
  return t.length > 200 ? `${t.slice(0, 199)}…` : t;
}
