import { Comparator } from '../compare/compare.ts';
import type { CompareResult } from '../compare/types.ts';
import type { CompareConfig } from '../config/schema.ts';
import { ReportInputError } from '../errors.ts';
import type { OperationOutcome } from '../model/run/outcome.ts';
import { readRun, readRunOutcomes, readRunState, type RunData, type RunIssue } from '../model/run/reader.ts';

/**
 * The one path from a run directory to a comparison. The compare stage is pure (it is
 * handed outcomes and state); this reads them: run.json, the outcomes as a stream
 * (memory stays flat; a second baseline, when the run has one, teaches noise in a
 * first pass), and state.json when writes were replayed. run.json's pre-flight result
 * goes in as data, so differences on a collection that started differently on the
 * targets are told as such ("data differs before replay"). Corrupt outcome lines go to
 * `onIssue` and are skipped; `onOutcome` sees every outcome of the judged pass (the
 * report's tallies and error table ride along instead of reading the run again).
 */
export interface CompareRunOptions {
  readonly config?: CompareConfig;
  readonly onIssue?: (issue: RunIssue) => void;
  readonly onOutcome?: (outcome: OperationOutcome) => void;
  /** Called once run.json is read, before any outcome. */
  readonly onRun?: (run: RunData['run']) => void;
}

export async function compareRunDir(dir: string, options: CompareRunOptions = {}): Promise<{ data: RunData; compare: CompareResult }> {
  const data = await readRun(dir);
  options.onRun?.(data.run);
  const baselines = data.run.targets.filter((t) => t.role === 'baseline').map((t) => t.name);
  const candidates = data.run.targets.filter((t) => t.role === 'candidate').map((t) => t.name);
  if (baselines.length === 0) throw new ReportInputError(`${dir}/run.json: no baseline target in the run`);
  const mapDb = mapDbOf(data.run.options);
  const c = new Comparator({
    baseline: baselines[0]!,
    ...(baselines[1] !== undefined ? { secondBaseline: baselines[1] } : {}),
    candidates,
    ...(options.config ? { config: options.config } : {}),
    ...(data.run.preflight ? { preflight: data.run.preflight } : {}),
    ...(mapDb ? { mapDb } : {}),
  });
  if (baselines[1] !== undefined) for await (const o of readRunOutcomes(dir)) c.learn(o);
  const onOutcome = options.onOutcome;
  for await (const o of readRunOutcomes(dir, options.onIssue ? { onIssue: options.onIssue } : {})) {
    c.add(o);
    onOutcome?.(o);
  }
  const state = await readRunState(dir);
  if (state) c.addState(state.differences);
  return { data, compare: c.finish() };
}

/** run.json `options.mapDb` (recorded database → target database), when the run mapped any. */
function mapDbOf(options: Readonly<Record<string, unknown>>): Readonly<Record<string, string>> | undefined {
  const m = options.mapDb;
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return undefined;
  const entries = Object.entries(m).filter((e): e is [string, string] => typeof e[1] === 'string');
  return entries.length ? Object.fromEntries(entries) : undefined;
}
