import { fmtNum, fmtUs, kneeSentence } from '../../contention/format.ts';
import type { ContentionResult } from '../../contention/result.ts';
import { mdCell as cell } from '../format.ts';
import { fmtErrors, fmtHarness, fmtLog, fmtMetric, harnessBoundSentence, settingsLine, stepsOf } from './format.ts';

/** The contention result as Markdown (contention.md): summary with knees, invariants, per-step tables. Pure. */
export function renderContentionMarkdown(result: ContentionResult): string {
  const out: string[] = [];
  out.push(`# findAndModify contention: ${result.settings.workload}`, '');
  out.push(`${settingsLine(result)}.`, '');
  out.push(`Run ${result.startedAt} → ${result.finishedAt}. Steps interleaved across targets (A B A B …).`, '');
  out.push('## Targets', '');
  for (const t of result.targets) out.push(`- **${t.name}**: ${t.product} at \`${t.displayUri}\``);
  out.push('', '## Summary', '');
  for (const t of result.targets) out.push(`- ${kneeSentence(result, t.name)}`);
  out.push('');
  const bound = harnessBoundSentence(result);
  if (bound) out.push(`**${bound}**`, '');
  out.push(result.violations === 0 ? '**Invariants held** in every step.' : `**INVARIANT VIOLATIONS: ${result.violations}.** The server (or worker) broke exactly-once / single-holder guarantees; see below.`, '');
  out.push('## Scaling', '');
  out.push('| target | workers | ops/s | p50 | p95 | p99 | p99.9 | max | errors | invariants | harness |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|');
  for (const t of result.targets) {
    for (const s of stepsOf(result, t.name)) {
      const l = s.latency;
      out.push(`| ${cell(t.name)} | ${s.workers} | ${fmtNum(s.opsPerSec, 1)} | ${fmtUs(l.p50Us)} | ${fmtUs(l.p95Us)} | ${fmtUs(l.p99Us)} | ${fmtUs(l.p999Us)} | ${fmtUs(l.maxUs)} | ${cell(fmtErrors(s.errors))} | ${s.invariants.violations === 0 ? 'held' : `**${s.invariants.violations} violated**`} | ${s.harness?.bound ? `**${cell(fmtHarness(s))}**` : cell(fmtHarness(s))} |`);
    }
  }
  out.push('', '## Server metrics per step (measured window)', '');
  for (const t of result.targets) {
    for (const s of stepsOf(result, t.name)) {
      out.push(`### ${t.name}, ${s.workers} workers`, '');
      out.push('| figure | value |', '|---|---|');
      for (const m of s.server) out.push(`| ${cell(m.name)} | ${cell(fmtMetric(m))} |`);
      out.push(`| getLog write-conflict lines (id 23802) | ${cell(fmtLog(s.log))} |`);
      for (const [k, v] of Object.entries(s.workload)) out.push(`| workload ${cell(k)} | ${fmtNum(v)} |`);
      out.push('');
    }
  }
  const bad = result.steps.filter((s) => s.invariants.violations > 0);
  if (bad.length > 0) {
    out.push('## Invariant violations', '');
    for (const s of bad) {
      out.push(`- ${s.target}, ${s.workers} workers: ${s.invariants.violations} (checked: ${s.invariants.checked.join('; ')})`);
      for (const v of s.invariants.examples) out.push(`  - ${v.kind}: ${v.detail}`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** The section a replay report gets when `report --bench contention.json` is given: one row per target. */
export function contentionSectionMarkdown(result: ContentionResult): string[] {
  const out = ['## Contention benchmark', '', '| target | best ops/s | knee (workers) | invariant violations |', '|---|--:|--:|--:|'];
  for (const s of result.summary) out.push(`| ${cell(s.target)} | ${s.bestOpsPerSec.toFixed(1)} | ${s.knee ? s.knee.workers : '—'} | ${s.violations} |`);
  out.push('');
  return out;
}
