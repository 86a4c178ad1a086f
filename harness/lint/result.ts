import type { ReplayExpectation, Severity, Step, Symptom } from './types.ts';

/**
 * The lint result: what `mongo-compat lint --format json` writes and what the report
 * stage reads to show findings beside the replay of the same shapes. Plain JSON.
 */
export const LINT_FORMAT = 'mongo-compat-lint';
export const LINT_FORMAT_VERSION = 1;

export interface ShapeHit {
  /** Query shape id (harness/model/shape.ts), the key the replay and the report use. */
  readonly id: string;
  readonly text: string;
  readonly ops: number;
  /** The first operation of this shape that hit the rule. */
  readonly example: { readonly seq: number; readonly conn: string; readonly db: string; readonly coll?: string };
}

export interface Finding {
  readonly rule: string;
  readonly step: Step;
  readonly since: string;
  readonly severity: Severity;
  readonly concerns: string;
  readonly before: string;
  readonly after: string;
  readonly symptom: Symptom;
  readonly expect: ReplayExpectation;
  readonly source: string;
  readonly look: string;
  readonly ops: number;
  /** Distinct connections among the operations (counted up to 64). */
  readonly connections: number;
  /** The shapes hit, most operations first. */
  readonly shapes: readonly ShapeHit[];
  /** Distinct shapes beyond those listed. */
  readonly moreShapes: number;
}

export interface AppLint {
  readonly app: string;
  /** Operations of the app that were read. */
  readonly ops: number;
  /** Per step of the path from `from` to `to`, in order; steps without findings included. */
  readonly steps: readonly { readonly step: Step; readonly findings: readonly Finding[] }[];
}

/** A name a rule looks for, found in application source: lower confidence than an operation. */
export interface SourceHit {
  readonly rule: string;
  readonly step: Step;
  readonly severity: Severity;
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

export interface LintResult {
  readonly format: typeof LINT_FORMAT;
  readonly version: typeof LINT_FORMAT_VERSION;
  readonly from: string;
  readonly to: string;
  readonly captures: readonly string[];
  /** Records read; records skipped as unreadable are counted in `skipped`. */
  readonly records: number;
  readonly skipped: number;
  /** Records read but not linted: run by the server itself, a write's second log line, undecodable bytes. */
  readonly ignored: number;
  readonly apps: readonly AppLint[];
  readonly source?: { readonly roots: readonly string[]; readonly files: number; readonly hits: readonly SourceHit[]; readonly moreHits: number };
  /** The most severe finding of any app (captures only), or null. */
  readonly maxSeverity: Severity | null;
}
