import type { PlanShapeResult } from '../plans/result.ts';

/** One explained operation in the report document: plans.json's entry and the first candidate whose plan changed (warn or fail). */
export interface ReportPlanShape extends PlanShapeResult {
  readonly firstChange: string | null;
}

export interface ReportPlansInfo {
  readonly verbosity: string;
  readonly timeLimitMs: number;
  readonly generatedAt: string;
}
