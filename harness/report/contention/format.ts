import { fmtNum } from '../../contention/format.ts';
import type { ContentionResult, StepResult } from '../../contention/result.ts';
import type { LogFigure } from '../../contention/server-log.ts';
import type { MetricFigure } from '../../contention/server-metrics.ts';

/** Text shared by the contention result's Markdown and HTML, so both say the same thing. */
export function fmtErrors(errors: Readonly<Record<string, number>>): string {
  const entries = Object.entries(errors).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k} ${fmtNum(v)}`).join(', ');
}

export function fmtMetric(m: MetricFigure): string {
  if (!m.available) return m.reason;
  if (m.kind === 'counter') return `${fmtNum(m.delta)} (${fmtNum(m.perSec, 1)}/s)`;
  return `min ${fmtNum(m.min)}, max ${fmtNum(m.max)} (${m.samples} samples)`;
}

export function fmtLog(l: LogFigure): string {
  if (!l.available) return l.reason;
  return `${l.writeConflictLines}${l.lowerBound ? '+' : ''} write-conflict lines of ${fmtNum(l.newLines)} new log lines`;
}

/** A target's steps, fewest workers first. */
export function stepsOf(result: ContentionResult, target: string): StepResult[] {
  return result.steps.filter((s) => s.target === target).sort((a, b) => a.workers - b.workers);
}

export function settingsLine(result: ContentionResult): string {
  const s = result.settings;
  return `workload ${s.workload}${s.broken ? ' (BROKEN worker: non-atomic claims)' : ''}, workers ${s.workers.join(',')}, ${s.clients} client(s), ` +
    `warm-up ${s.warmupMs} ms, window ${s.durationMs} ms, indexes ${s.indexes ? 'on' : 'off'}, seed ${s.seed}, jobs ${s.jobs}, keys ${s.keys}`;
}
