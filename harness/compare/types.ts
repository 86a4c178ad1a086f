/**
 * The compare stage's result types: what the report stage renders. Everything here
 * is plain data (JSON-serialisable once BSON values are turned into canonical EJSON
 * strings, which `display` in value.ts already does for every value shown).
 *
 * Vocabulary:
 * - a *pair* is one operation (one `seq`) on the baseline and on one candidate;
 * - its *class* (`DiffClass`) is the verdict on that pair, the most severe of its diffs;
 * - a *diff* (`DiffEntry`) is one difference at one path with both values;
 * - a *group* (`DiffGroup`) gathers the pairs of one shape, candidate, app and class;
 * - a *verdict* (`AppVerdict`) is pass/warn/fail per app per candidate, each reason
 *   pointing at groups (shape id, seqs, paths) or latency rows as its evidence.
 */

export { DIFF_CLASSES, severityRank, type DiffClass } from '../model/diff-class.ts';
import type { DiffClass } from '../model/diff-class.ts';

/**
 * - `value`: different values (or different non-numeric types) at the path;
 * - `missing`: present on the baseline, absent on the candidate; `extra`: the reverse;
 * - `numeric-type`: equal value, other numeric type (`baseline`/`candidate` show both in EJSON);
 * - `field-order`: same fields, other order (values show both key lists);
 * - `order`: a result's documents in another order where none is promised;
 * - `sort-order`: a sorted result whose sort keys come in another order (a result difference).
 */
export type DiffKind = 'value' | 'missing' | 'extra' | 'numeric-type' | 'field-order' | 'order' | 'sort-order';

export interface DiffEntry {
  /**
   * Where: `reply.<field>…` inside the reply document, `docs[i]…` inside a cursor's
   * documents (i is the baseline's position; for unsorted results documents are
   * paired by `_id` or content first), `error.code`/`error.codeName`/`error.message`,
   * `status`. Keys that are not identifiers are written `["a.b"]`.
   */
  readonly path: string;
  readonly kind: DiffKind;
  /** Canonical Extended JSON of the baseline's value (absent for `extra`). */
  readonly baseline?: string;
  /** Canonical Extended JSON of the candidate's value (absent for `missing`). */
  readonly candidate?: string;
}

/** One operation compared between the baseline and one candidate. */
export interface PairComparison {
  readonly seq: number;
  readonly class: DiffClass;
  /** Differences that decide the class. */
  readonly diffs: readonly DiffEntry[];
  /** Differences at masked or config-ignored paths (counted nowhere, shown on request). */
  readonly ignored: readonly DiffEntry[];
  /** Differences at paths learnt as noise for this shape (baseline vs second baseline). */
  readonly noise: readonly DiffEntry[];
  /**
   * Three-way: differences between the baseline and the recorded production reply
   * (data drift: the clone is not the capture's moment). Absent when nothing was recorded.
   */
  readonly drift?: readonly DiffEntry[];
  /**
   * `version`: the baseline matches what production answered and the candidate does
   * not; `drift`: every candidate difference is at a path where the baseline already
   * differs from production (the data moved, maybe not the version); `mixed`: some of
   * each; `unknown`: no recorded reply to judge by; absent when there is no difference.
   */
  readonly cause?: 'version' | 'drift' | 'mixed' | 'unknown';
  /** Why it was not compared (class `unavailable`). */
  readonly reason?: string;
}

/** Differences of one shape for one app and candidate and class. */
export interface DiffGroup {
  readonly candidate: string;
  readonly app: string;
  readonly shape: string;
  /** The shape as readable JSON (literals replaced by types). */
  readonly shapeText: string;
  readonly cmd: string;
  readonly db: string;
  readonly coll?: string;
  readonly class: DiffClass;
  readonly count: number;
  /** Up to `compare.maxSeqsPerGroup` seqs of the group's operations, in capture order. */
  readonly seqs: readonly number[];
  /** Generalised paths (`docs[].price`) with how many operations differed there. */
  readonly paths: readonly { readonly path: string; readonly kind: DiffKind; readonly count: number }[];
  /** The first operation of the group, in full, as evidence. */
  readonly example: {
    readonly seq: number;
    readonly command: string;
    readonly baseline: string;
    readonly candidate: string;
    readonly recorded?: string;
    readonly diffs: readonly DiffEntry[];
    readonly drift?: readonly DiffEntry[];
    readonly cause?: PairComparison['cause'];
  };
  /** How many of the group's operations were attributed to each cause. */
  readonly causes: Readonly<Partial<Record<NonNullable<PairComparison['cause']>, number>>>;
}

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** Latency of one shape (or of the whole app when `shape` is `*`), in microseconds. */
export interface LatencyRow {
  readonly candidate: string;
  readonly app: string;
  readonly shape: string;
  readonly baseline: Percentiles;
  readonly candidateStats: Percentiles;
  /** candidate / baseline for each percentile (NaN-free: 0 baseline gives null). */
  readonly ratios: { readonly p50: number | null; readonly p95: number | null; readonly p99: number | null; readonly max: number | null };
  /** One-sided Mann-Whitney U test, H1: candidate latencies are stochastically larger. */
  readonly test: { readonly name: 'mann-whitney-u'; readonly u: number; readonly z: number; readonly p: number } | null;
  /** `insufficient-samples` when either side has fewer than `latency.minSamples`. */
  readonly judgement: 'regression' | 'improvement' | 'same' | 'insufficient-samples';
  /** The verdict level this row asks for (`pass` unless a regression beyond a threshold). */
  readonly level: VerdictLevel;
}

/** State after writes: one collection that stores differently on baseline and candidate. */
export type { StateDifference } from '../model/run/state.ts';
import type { StateDifference } from '../model/run/state.ts';

export type VerdictLevel = 'pass' | 'warn' | 'fail';

export interface VerdictReason {
  readonly level: Exclude<VerdictLevel, 'pass'>;
  /** One line a person reads. */
  readonly message: string;
  /** Evidence: which group, latency row or collection. */
  readonly evidence:
    | { readonly kind: 'group'; readonly shape: string; readonly class: DiffClass; readonly seqs: readonly number[]; readonly paths: readonly string[] }
    | { readonly kind: 'latency'; readonly shape: string; readonly p99Ratio: number | null; readonly p: number | null }
    | { readonly kind: 'state'; readonly ns: string; readonly ids: readonly string[] };
}

export interface AppVerdict {
  readonly app: string;
  readonly candidate: string;
  readonly level: VerdictLevel;
  /** Operations per class. */
  readonly counts: Readonly<Partial<Record<DiffClass, number>>>;
  readonly reasons: readonly VerdictReason[];
}

/** The whole compare result of one run: groups, noise, latency, state, verdicts. */
export interface CompareResult {
  readonly baseline: string;
  /** The second baseline noise was learnt from, when there was one. */
  readonly secondBaseline?: string;
  readonly candidates: readonly string[];
  readonly operations: number;
  /** Severity first, then count (descending). Identical/equivalent pairs are counted, not grouped. */
  readonly groups: readonly DiffGroup[];
  /** Per shape: the generalised paths treated as noise, with how often the baselines differed there. */
  readonly noise: readonly { readonly shape: string; readonly paths: readonly { readonly path: string; readonly count: number }[] }[];
  readonly latency: readonly LatencyRow[];
  readonly state: readonly StateDifference[];
  readonly verdicts: readonly AppVerdict[];
}
