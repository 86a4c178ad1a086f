import { fmtNum } from '../../contention/format.ts';
import { HARNESS_BOUND_LABEL } from '../../contention/harness-check.ts';
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
  return `workload ${s.workload}${s.broken ? ' (BROKEN worker: non-atomic claims)' : ''}, workers ${s.workers.join(',')}, ${s.clients} client(s), transport ${s.transport ?? 'driver'}, ` +
    `warm-up ${s.warmupMs} ms, window ${s.durationMs} ms, indexes ${s.indexes ? 'on' : 'off'}, seed ${s.seed}, jobs ${s.jobs}, keys ${s.keys}`;
}

/** The harness's cost in a step, with the inconclusive mark when it could have set the rate. */
export function fmtHarness(s: StepResult): string {
  const h = s.harness;
  if (!h) return 'not measured';
  const cost = `${fmtNum(h.cpuUsPerOp)} µs CPU/op, ${Math.round(h.coreFraction * 100)}% of a core`;
  return h.bound ? `${HARNESS_BOUND_LABEL}: ${h.reason}` : cost;
}

/** True when the step's figures are the server's: the harness could not have set the rate. */
export function conclusive(s: StepResult): boolean {
  return s.harness?.bound !== true;
}

/** One sentence on the steps the harness could have bounded, or undefined when none. */
export function harnessBoundSentence(result: ContentionResult): string | undefined {
  const bound = result.steps.filter((s) => !conclusive(s));
  if (bound.length === 0) return undefined;
  const list = bound.map((s) => `${s.target} at ${s.workers} workers`).join(', ');
  return `${bound.length} step(s) ${HARNESS_BOUND_LABEL} (the harness could have set the rate; their figures are a lower bound on the server): ${list}.`;
}
