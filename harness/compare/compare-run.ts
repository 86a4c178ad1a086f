import type { CompareConfig } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import { readRun, readRunOutcomes, type RunIssue } from '../model/run/reader.ts';
import { Comparator } from './compare.ts';
import type { CompareResult, StateDifference } from './types.ts';

/**
 * Compares a replay run directory as it streams (memory stays flat): the run's first
 * baseline is the baseline, a second baseline (if the run has one) teaches noise in a
 * first pass over the outcomes, every candidate is judged. Corrupt outcome lines are
 * reported through `onIssue` and skipped.
 */
export async function compareRun(
  dir: string,
  options: { config?: CompareConfig; state?: readonly StateDifference[]; onIssue?: (issue: RunIssue) => void } = {},
): Promise<CompareResult> {
  const { run } = await readRun(dir);
  const baselines = run.targets.filter((t) => t.role === 'baseline').map((t) => t.name);
  const candidates = run.targets.filter((t) => t.role === 'candidate').map((t) => t.name);
  if (baselines.length === 0) throw new UsageError(`${dir}: the run names no baseline target`);
  const c = new Comparator({
    baseline: baselines[0]!,
    ...(baselines[1] !== undefined ? { secondBaseline: baselines[1] } : {}),
    candidates,
    ...(options.config ? { config: options.config } : {}),
  });
  if (baselines[1] !== undefined) for await (const o of readRunOutcomes(dir)) c.learn(o);
  for await (const o of readRunOutcomes(dir, options.onIssue ? { onIssue: options.onIssue } : {})) c.add(o);
  c.addState(options.state ?? []);
  return c.finish();
}
