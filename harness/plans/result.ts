import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ReportInputError } from '../errors.ts';
import type { PlanChange, PlanLevel, PlanOutcome } from './diff.ts';

/**
 * RUN_DIR/plans.json, written by `mongo-compat plans` and read by the report:
 *
 *   { format, version, verbosity, timeLimitMs, baseline, candidates, targets[],
 *     shapes: [ { shape, cmd, db, coll, seq, write, verbosity, command,
 *                 targets: { NAME: {ok, plan | error, ms} },
 *                 changes: { CANDIDATE: [ {kind, level, message, baselineNodes, candidateNodes} ] },
 *                 level:   { CANDIDATE: fail | warn | info | same } } ],
 *     counts }
 */
export const PLANS_FILE = 'plans.json';
export const PLANS_FORMAT = 'mongo-compat-plans';
export const PLANS_VERSION = 1;

export type ShapeLevel = Exclude<PlanLevel, 'off'> | 'same';

export interface PlanShapeResult {
  readonly shape: string;
  readonly shapeText: string;
  readonly cmd: string;
  readonly app?: string;
  readonly db: string;
  readonly coll?: string;
  /** The run's operation that was explained. */
  readonly seq: number;
  readonly write: boolean;
  readonly verbosity: string;
  /** The explained command (relaxed Extended JSON). */
  readonly command: string;
  readonly targets: Readonly<Record<string, PlanOutcome>>;
  readonly changes: Readonly<Record<string, readonly PlanChange[]>>;
  readonly level: Readonly<Record<string, ShapeLevel>>;
}

export interface PlansResult {
  readonly format: typeof PLANS_FORMAT;
  readonly version: number;
  readonly generatedAt: string;
  readonly verbosity: string;
  readonly timeLimitMs: number;
  readonly baseline: string;
  readonly candidates: readonly string[];
  readonly targets: readonly { readonly name: string; readonly role: string; readonly serverVersion?: string; readonly product?: string }[];
  readonly shapes: readonly PlanShapeResult[];
  readonly counts: {
    readonly shapes: number;
    readonly explains: number;
    readonly failed: number;
    readonly timedOut: number;
    readonly changed: Readonly<Record<ShapeLevel, number>>;
  };
}

/** plans.json of a run directory, or undefined when the run was never explained. */
export async function readPlansFile(runDir: string): Promise<PlansResult | undefined> {
  const path = join(runDir, PLANS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ReportInputError(`${path}: not readable (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  let value: Partial<PlansResult>;
  try {
    value = JSON.parse(text) as Partial<PlansResult>;
  } catch (err) {
    throw new ReportInputError(`${path}: not JSON (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  if (value?.format !== PLANS_FORMAT) throw new ReportInputError(`${path}: field format: not ${PLANS_FORMAT}`);
  if (value.version !== PLANS_VERSION) throw new ReportInputError(`${path}: field version: ${String(value.version)} is not ${PLANS_VERSION}`);
  if (!Array.isArray(value.shapes)) throw new ReportInputError(`${path}: field shapes: not an array`);
  return value as PlansResult;
}
