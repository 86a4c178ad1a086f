import type { DiffClass } from '../model/diff-class.ts';
import type { PathVersion, ReplayExpectation, Severity, Step } from '../lint/types.ts';

/** The report's lint section (lint-findings.ts builds it): its own file, so schema.ts needs nothing else of lint's. */
export type LintJudgement = 'before-change' | 'confirmed' | 'other' | 'contradicted' | 'not-judged';

export interface ReportLintShape {
  readonly shape: string;
  readonly shapeText: string;
  readonly ops: number;
  readonly candidates: readonly { readonly candidate: string; readonly behaviour: DiffClass | 'same'; readonly judgement: LintJudgement }[];
}

export interface ReportLintFinding {
  readonly rule: string;
  readonly step: Step;
  readonly since: string;
  readonly severity: Severity;
  readonly expect: ReplayExpectation;
  readonly after: string;
  readonly symptom: string;
  readonly shapes: readonly ReportLintShape[];
}

export interface ReportLint {
  /** The version the capture was linted from (the baseline's, on the path) and up to. */
  readonly from: PathVersion;
  readonly to: PathVersion;
  readonly apps: readonly { readonly app: string; readonly findings: readonly ReportLintFinding[] }[];
  /** Why there are no findings to show, when lint could not run. */
  readonly note?: string;
}

