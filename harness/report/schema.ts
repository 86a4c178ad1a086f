import type { InputCut } from '../store/footer.ts';
import type { ContentionResult } from '../contention/result.ts';
import type { AppVerdict, Cause, DiffClass, DiffGroup, LatencyRow, ServerDifferences, StateDifference, VerdictLevel } from '../compare/types.ts';
import type { PreflightResult, RunTargetInfo } from '../model/run/files.ts';
import type { ReportLint } from './lint-types.ts';
import type { ReportPlanShape, ReportPlansInfo } from './plans-types.ts';

/**
 * The report document: the one source every renderer (Markdown, HTML, JUnit,
 * Datadog) reads, and what `--format json` writes verbatim. Versioned: a renderer or
 * consumer refuses a `version` it does not know. Adding an optional field keeps the
 * version; renaming or removing one bumps it.
 *
 * Units: latencies are microseconds, ratios are candidate / baseline (null when the
 * baseline figure is 0). Every verdict reason carries its evidence (shape id, seqs,
 * diff paths) so a reader can find the operation in the run's outcomes.ndjson.
 */
export const REPORT_FORMAT = 'mongo-compat-report';
export const REPORT_VERSION = 2;

export interface ReportDocument {
  readonly format: typeof REPORT_FORMAT;
  readonly version: typeof REPORT_VERSION;
  readonly generatedAt: string;
  readonly run: ReportRunInfo;
  /** Every target of the run; URIs are already redacted by the replayer. */
  readonly targets: readonly RunTargetInfo[];
  readonly baseline: string;
  /** Candidate names, oldest server version first (the order of the version matrix). */
  readonly candidates: readonly string[];
  readonly summary: readonly SummaryRow[];
  readonly matrix: readonly MatrixApp[];
  readonly quality: CaptureQuality;
  readonly apps: readonly AppSection[];
  /** Collections stored differently after replayed writes. */
  readonly state: readonly StateDifference[];
  /**
   * What pre-flight found before replay (run.json `preflight`): collections that start
   * differently on the targets. Differences on them have cause `data-differs`.
   */
  readonly preflight?: PreflightResult;
  /**
   * Reply differences of server-describing commands (buildInfo, serverStatus, …), per
   * candidate and command, deduplicated: shown apart, never part of an app's verdict.
   */
  readonly serverDifferences: readonly ServerDifferences[];
  /** Per shape, the paths learnt as noise from a second baseline (empty without one). */
  readonly noise: readonly { readonly shape: string; readonly paths: readonly { readonly path: string; readonly count: number }[] }[];
  /** The contention benchmark's result when one was given to the report. */
  readonly bench?: ContentionResult;
  /** Explained operations and their plan changes, from the run's plans.json (`mongo-compat plans`). */
  readonly plans?: readonly ReportPlanShape[];
  readonly plansInfo?: ReportPlansInfo;
  /** Lint findings on the shapes the run replayed, judged against the replay (lint-findings.ts). */
  readonly lint?: ReportLint;
  readonly exit: ExitInfo;
}

export interface ReportRunInfo {
  readonly dir: string;
  readonly status: 'complete' | 'interrupted' | 'failed';
  readonly inputs: readonly string[];
  readonly startedAt: string;
  readonly endedAt: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly notes: readonly string[];
  readonly shard?: { readonly index: number; readonly count: number };
}

/** One row per app × candidate. */
export interface SummaryRow {
  readonly app: string;
  readonly candidate: string;
  /** The candidate's server version (and product), as the replayer saw it. */
  readonly version: string;
  readonly verdict: VerdictLevel;
  /** Operations run on both the baseline and this candidate (status ok or error). */
  readonly replayed: number;
  /** Operations not run, by reason (writes-not-allowed, orphan-getmore, handshake, unavailable, …). */
  readonly skipped: Readonly<Record<string, number>>;
  /** Difference groups (classes other than identical/equivalent). */
  readonly groups: number;
  /** Difference groups per cause (`data-differs`, `version`, `drift`, `mixed`, `unknown`). */
  readonly causes: Readonly<Partial<Record<Cause, number>>>;
  /** Operations that fail on the candidate and succeed on the baseline. */
  readonly newErrors: number;
  /** Whole-app latency ratios (shape `*`). */
  readonly latency: {
    readonly p50Ratio: number | null;
    readonly p99Ratio: number | null;
    /** The paired estimate the judgement rests on (median of candidate/baseline per operation); null without enough pairs. */
    readonly pairedRatio?: number | null;
    readonly judgement: LatencyRow['judgement'] | 'none';
  };
  readonly counts: AppVerdict['counts'];
  readonly reasons: AppVerdict['reasons'];
}

/** Per app: per shape, what each candidate did, and the first version where it changed. */
export interface MatrixApp {
  readonly app: string;
  readonly shapes: readonly MatrixShape[];
}

export interface MatrixShape {
  readonly shape: string;
  readonly shapeText: string;
  readonly cmd: string;
  readonly cells: readonly MatrixCell[];
  /** The first candidate (in version order) whose behaviour or latency differs; null if none. */
  readonly firstChange: string | null;
}

export interface MatrixCell {
  readonly candidate: string;
  /** The most severe difference class of this shape on this candidate, or `same`. */
  readonly behaviour: DiffClass | 'same';
  readonly latency: LatencyRow['judgement'] | 'none';
  readonly p99Ratio: number | null;
  /** The paired estimate the latency judgement rests on; null without enough pairs. */
  readonly pairedRatio?: number | null;
  /** Plan changes of the shape on this candidate at warn or fail (kinds), from plans.json. */
  readonly plan?: readonly string[];
  readonly level: VerdictLevel;
}

/** What the capture and the replay lost, counted so no loss is silent. */
export interface CaptureQuality {
  /** Records the capture dropped because its writer fell behind; null when the capture does not say. */
  readonly droppedAtCapture: number | null;
  /** Inputs cut short while the capture was made (from the captures' footers): the capture holds what came before. */
  readonly inputCut?: readonly InputCut[];
  /** Capture records that could not be read (corrupt lines). */
  readonly unparseable: number;
  /** Outcome lines of the run that could not be read. */
  readonly corruptOutcomes: number;
  /** Records not replayed, by reason (includes orphan getMores and not-replayable records). */
  readonly notReplayable: Readonly<Record<string, number>>;
  readonly orphanGetMores: number;
  readonly records: number;
  readonly outcomes: number;
  /** getMore/killCursors folded into their cursor's logical result. */
  readonly folded: number;
}

export interface ErrorRow {
  readonly target: string;
  readonly cmd: string;
  readonly shape: string;
  readonly code: number | null;
  readonly codeName: string;
  readonly message: string;
  readonly count: number;
  /** First seqs with this error. */
  readonly seqs: readonly number[];
}

/** Latency distribution of one shape on every target, from the run's HDR histograms. */
export interface ShapeDistribution {
  readonly shape: string;
  readonly shapeText: string;
  readonly cmd: string;
  readonly count: number;
  /** By target: percentiles (µs) at the `DISTRIBUTION_PERCENTILES` points. */
  readonly targets: Readonly<Record<string, { readonly count: number; readonly points: readonly { readonly p: number; readonly us: number }[] }>>;
}

export interface AppSection {
  readonly app: string;
  readonly verdicts: readonly AppVerdict[];
  readonly groups: readonly DiffGroup[];
  /** Operations per difference class per candidate. */
  readonly classes: Readonly<Record<string, AppVerdict['counts']>>;
  readonly errors: readonly ErrorRow[];
  /** Compare latency rows: per candidate, per shape (and `*` for the app). */
  readonly latency: readonly LatencyRow[];
  /** Shape text by shape id, for every shape named in this section. */
  readonly shapes: Readonly<Record<string, string>>;
  /** The busiest shapes' distributions, most operations first. */
  readonly distributions: readonly ShapeDistribution[];
}

export interface ExitInfo {
  /** The bitmask (see exit-status.ts). */
  readonly status: number;
  readonly reasons: readonly string[];
}

export const DISTRIBUTION_PERCENTILES = Object.freeze([1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100]);
