import type { LogFigure } from './server-log.ts';
import type { MetricFigure } from './server-metrics.ts';
import type { ContentionResult, StepResult } from './result.ts';

/** Shared text for the Markdown and HTML renderers, so both say the same thing. */
export function fmtNum(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function fmtUs(us: number): string {
  if (us >= 1_000_000) return `${fmtNum(us / 1_000_000, 2)} s`;
  if (us >= 1000) return `${fmtNum(us / 1000, 1)} ms`;
  return `${fmtNum(us)} µs`;
}

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

/** One sentence per target naming the knee of its throughput curve. */
export function kneeSentence(result: ContentionResult, target: string): string {
  const s = result.summary.find((x) => x.target === target);
  if (!s?.knee) return `${target}: no steps measured.`;
  if (result.settings.workers.length < 2) return `${target}: one worker count only (${s.knee.workers}), no curve to find a knee on.`;
  if (s.knee.stillRising) return `${target}: no knee — throughput still rising at ${s.knee.workers} workers (${fmtNum(s.knee.opsPerSec)} ops/s).`;
  return `${target}: knee at ${s.knee.workers} workers (${fmtNum(s.knee.opsPerSec)} ops/s); more workers do not raise throughput.`;
}

export function stepsOf(result: ContentionResult, target: string): StepResult[] {
  return result.steps.filter((s) => s.target === target).sort((a, b) => a.workers - b.workers);
}

export function settingsLine(result: ContentionResult): string {
  const s = result.settings;
  return `workload ${s.workload}${s.broken ? ' (BROKEN worker: non-atomic claims)' : ''}, workers ${s.workers.join(',')}, ${s.clients} client(s), ` +
    `warm-up ${s.warmupMs} ms, window ${s.durationMs} ms, indexes ${s.indexes ? 'on' : 'off'}, seed ${s.seed}, jobs ${s.jobs}, keys ${s.keys}`;
}
