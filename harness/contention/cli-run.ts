import { BenchInvariantError, UsageError } from '../errors.ts';
import { startTarget, type RunningTarget } from '../targets/index.ts';
import { startContention, type StepStartEvent } from './contention.ts';
import { fmtNum, fmtUs, kneeSentence } from './format.ts';
import { HARNESS_BOUND_LABEL } from './harness-check.ts';
import type { ContentionResult, StepResult } from './result.ts';
import type { ContentionSettings } from './settings.ts';
import { writeContentionOutput, type ContentionFiles } from './write-output.ts';

export interface ContentionCliInput {
  readonly targets: readonly string[];
  readonly out: string;
  readonly settings: ContentionSettings;
  /** Human progress lines (stderr in the CLI). */
  readonly log: (line: string) => void;
}

export interface ContentionCliOutcome {
  readonly result: ContentionResult;
  readonly files: ContentionFiles;
  /** Set when an invariant was violated: the caller reports it after printing the paths. */
  readonly failure?: BenchInvariantError;
}

/** Starts the targets, runs the sweep with a progress view on `log`, writes the outputs, stops the targets. */
export async function runContentionCli(input: ContentionCliInput): Promise<ContentionCliOutcome> {
  const { settings } = input;
  if (input.targets.length === 0) throw new UsageError('targets: at least one target is needed');
  const started: RunningTarget[] = [];
  try {
    for (const spec of input.targets) {
      const t = await startTarget(spec, { log: input.log });
      started.push(t);
      input.log(`target ${t.name}: ${t.product} at ${t.displayUri}`);
    }
    const names = new Set(started.map((t) => t.name));
    if (names.size !== started.length) throw new UsageError('bench contention: two targets share a name; name them NAME=TARGET');
    const run = startContention({ targets: started, ...settings });
    run.on('step-start', (e: StepStartEvent) => input.log(`[${e.order + 1}/${e.total}] ${e.target}: ${e.workers} workers…`));
    run.on('step-done', (s: StepResult) => input.log(`  ${s.target} ${s.workers}w: ${fmtNum(s.opsPerSec, 1)} ops/s, p99 ${fmtUs(s.latency.p99Us)}${s.invariants.violations ? `, ${s.invariants.violations} INVARIANT VIOLATIONS` : ''}${harnessNote(s)}`));
    const result = await run.done;
    const files = await writeContentionOutput(input.out, result);
    for (const t of result.targets) input.log(kneeSentence(result, t.name));
    // Judged again against a ceiling target, when the run had one: the final word on each step.
    for (const s of result.steps) if (s.harness?.bound) input.log(`${s.target} ${s.workers}w: ${HARNESS_BOUND_LABEL.toUpperCase()}: ${s.harness.reason}`);
    input.log(`wrote ${files.html}`);
    if (result.violations === 0) return { result, files };
    const first = result.steps.find((s) => s.invariants.violations > 0)!;
    const failure = new BenchInvariantError(
      `${result.violations} invariant violation(s); first at ${first.target} ${first.workers} workers: ${first.invariants.examples[0]?.detail ?? first.invariants.checked.join('; ')} (see ${files.markdown})`,
    );
    input.log(`INVARIANT VIOLATED: ${failure.message}`);
    return { result, files, failure };
  } finally {
    await Promise.all(started.map((t) => t.stop().catch(() => undefined)));
  }
}

/** The harness's cost per step on the console, and the inconclusive mark when it could have set the rate. */
function harnessNote(s: StepResult): string {
  const h = s.harness;
  if (!h) return '';
  const cost = `, harness ${fmtNum(h.cpuUsPerOp, 0)} µs CPU/op (${Math.round(h.coreFraction * 100)}% of a core, ${h.transport})`;
  return h.bound ? `${cost}: ${HARNESS_BOUND_LABEL}` : cost;
}
