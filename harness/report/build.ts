import { readFile } from 'node:fs/promises';
import type { ContentionResult } from '../contention/result.ts';
import { NO_APP } from '../compare/compare.ts';
import type { Config } from '../config/schema.ts';
import { ReportInputError } from '../errors.ts';
import type { OperationOutcome } from '../model/run/outcome.ts';
import type { RunIssue } from '../model/run/reader.ts';
import { compareRunDir } from './compare-run.ts';
import { assembleReport, type OutcomeTally } from './assemble.ts';
import { captureFooters } from './capture-drops.ts';
import { ErrorTable } from './error-table.ts';
import { withLintFindings } from './lint-findings.ts';
import { withPlans } from './plans-report.ts';
import type { ReportDocument } from './schema.ts';

export interface BuildOptions {
  /** Records the capture dropped, when the caller knows; else read from the captures' footers. */
  readonly droppedAtCapture?: number | null;
  /** A contention benchmark result (contention.json) to include. */
  readonly benchFile?: string;
  /** Clock for `generatedAt` (tests pin it). */
  readonly now?: () => Date;
}

/**
 * Reads a run directory (run.json, outcomes, histograms), runs the compare stage over
 * its outcomes in streaming passes, and assembles the report document. Memory holds
 * compare's bounded state and per-app tallies, never the outcomes.
 */
export async function buildReport(runDir: string, config: Config, options: BuildOptions = {}): Promise<ReportDocument> {
  const issues: RunIssue[] = [];
  const tally: OutcomeTally = new Map();
  const errors = new ErrorTable();
  let baseline = '';
  let candidates: readonly string[] = [];
  const { data, compare } = await compareRunDir(runDir, {
    config: config.compare,
    onIssue: (i) => issues.push(i),
    onOutcome: (o) => {
      count(tally, o, baseline, candidates);
      errors.add(o);
    },
    onRun: (run) => {
      baseline = run.targets.find((t) => t.role === 'baseline')?.name ?? '';
      candidates = run.targets.filter((t) => t.role === 'candidate').map((t) => t.name);
    },
  });
  const bench = options.benchFile ? await readBench(options.benchFile) : undefined;
  const footers = await captureFooters(data.run.inputs);
  const droppedAtCapture = options.droppedAtCapture !== undefined && options.droppedAtCapture !== null ? options.droppedAtCapture : footers.dropped;
  return withPlans(runDir, await withLintFindings(assembleReport({
    data,
    compare,
    tally,
    errors: errors.rows(),
    issues,
    droppedAtCapture,
    inputCut: footers.inputCut,
    bench,
    generatedAt: (options.now ?? (() => new Date()))().toISOString(),
  })));
}

function count(tally: OutcomeTally, o: OperationOutcome, baseline: string, candidates: readonly string[]): void {
  const app = o.app ?? NO_APP;
  const base = o.targets[baseline];
  for (const c of candidates) {
    const k = `${app}\u0000${c}`;
    let t = tally.get(k);
    if (!t) tally.set(k, (t = { replayed: 0, skipped: {} }));
    const side = o.targets[c];
    const ran = (s: string | undefined): boolean => s === 'ok' || s === 'error';
    if (ran(base?.status) && ran(side?.status)) t.replayed++;
    else {
      const why = side?.status === 'skipped' || side?.status === 'unavailable' ? (side.reason ?? side.status) : (base?.reason ?? base?.status ?? 'absent');
      t.skipped[why] = (t.skipped[why] ?? 0) + 1;
    }
  }
}

async function readBench(file: string): Promise<ContentionResult> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ReportInputError(`${file}: not a readable contention result (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  const v = value as Partial<ContentionResult>;
  if (v?.bench !== 'contention' || v.version !== 1 || !Array.isArray(v.steps)) throw new ReportInputError(`${file}: field bench: not a contention result of version 1`);
  return v as ContentionResult;
}
