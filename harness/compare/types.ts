/**
 * The compare stage's result types: what the report stage renders. Everything here
 * is plain data (JSON-serialisable once BSON values are turned into canonical EJSON
 * strings, which `display` in value.ts already does for every value shown).
 *
 * Vocabulary:
 * - a *pair* is one operation (one `seq`) on the baseline and on one candidate;
 * - its *class* (`DiffClass`) is the verdict on that pair, the most severe of its diffs;
 * - a *diff* (`DiffEntry`) is one difference at one path with both values;
 * - a *group* (`DiffGroup`) gathers the pairs of one shape, candidate, app and class
 *   (pairs whose collection pre-flight found differing form groups of their own);
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
  /** Why the operation differs (see `Cause`); absent when there is no difference. */
  readonly cause?: Cause;
  /** With cause `data-differs`: the pre-flight finding about the operation's collection. */
  readonly preflight?: string;
  /** Why it was not compared (class `unavailable`). */
  readonly reason?: string;
}

/**
 * Why an operation differs:
 * - `data-differs`: pre-flight found that the operation's collection starts differently
 *   on the baseline and this candidate ("data differs before replay"): the clones'
 *   data, not the version, may explain the difference, so the verdict does not treat it
 *   as a version regression (`compare.dataDiffers`, warn by default);
 * - `version`: the baseline matches what production answered and the candidate does not;
 * - `drift`: every candidate difference is at a path where the baseline already differs
 *   from production (the data moved since the capture, maybe not the version);
 * - `mixed`: some of each (for a group: its operations disagree);
 * - `unknown`: no recorded reply to judge by.
 */
export type Cause = 'data-differs' | 'version' | 'drift' | 'mixed' | 'unknown';

/** Causes in the order reports list them, with the words they use. */
export const CAUSES: Readonly<Record<Cause, string>> = Object.freeze({
  'data-differs': 'data differs before replay',
  version: 'version',
  drift: 'data drift since the capture',
  mixed: 'mixed',
  unknown: 'unknown (no recorded reply)',
});

/** Differences of one shape for one app and candidate and class. */
export interface DiffGroup {
  readonly candidate: string;
  readonly app: string;
  readonly shape: string;
  /** The shape as readable JSON (literals replaced by types). */
  readonly shapeText: string;
  /** The shape as people read it: command, collection, short filter, id (shape-label.ts). */
  readonly label: string;
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
    readonly cause?: Cause;
    /** `_id`s (canonical Extended JSON) of the example's documents that differ, first few. */
    readonly ids?: readonly string[];
  };
  /**
   * The group's cause: `data-differs` when pre-flight found its collection differing
   * (such operations form groups of their own), else the cause its operations agree on,
   * else `mixed`. Absent for groups without differences (`unavailable`).
   */
  readonly cause?: Cause;
  /** With cause `data-differs`: the pre-flight finding. */
  readonly preflight?: string;
  /** How many of the group's operations were attributed to each cause. */
  readonly causes: Readonly<Partial<Record<Cause, number>>>;
}

/**
 * Reply differences of one server-describing command (model/server-commands.ts) between the
 * baseline and one candidate, deduplicated across its operations (server-diff.ts).
 */
export interface ServerDifferences {
  readonly candidate: string;
  /** The command as recorded (`buildInfo`), or `aggregate $collStats` for a stage. */
  readonly command: string;
  /** Operations of this command whose replies differed. */
  readonly operations: number;
  /** Generalised paths in reply order, with the first values seen and how many operations differed there. */
  readonly paths: readonly { readonly path: string; readonly kind: DiffKind; readonly baseline?: string; readonly candidate?: string; readonly count: number }[];
  /** Further paths that differed, counted but not kept. */
  readonly morePaths: number;
}

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** A median ratio of paired latencies with its distribution-free interval (median-interval.ts). */
export interface PairedRatio {
  /** Pairs: operations timed on both sides. */
  readonly n: number;
  readonly ratio: number;
  readonly lower: number;
  readonly upper: number;
  /** The interval's confidence level (`latency.confidence`). */
  readonly confidence: number;
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
  /**
   * The paired estimate the judgement rests on (latency.ts): per operation the ratio
   * candidate / baseline, their median and its interval at `latency.confidence`. Null
   * with fewer than `latency.minSamples` pairs or too few for an interval at that confidence.
   */
  readonly paired: PairedRatio | null;
  /**
   * With a second baseline: the same estimate for second baseline / baseline (the ratio
   * identical versions show here), and `floor`, the ratio the candidate's lower bound had
   * to clear because of it. Absent with one baseline or too few baseline pairs.
   */
  readonly noise?: PairedRatio & { readonly floor: number };
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
    | { readonly kind: 'group'; readonly shape: string; readonly class: DiffClass; readonly seqs: readonly number[]; readonly paths: readonly string[]; readonly cause?: Cause; readonly preflight?: string }
    | {
        readonly kind: 'latency';
        readonly shape: string;
        readonly p99Ratio: number | null;
        readonly ratio: number | null;
        readonly lower: number | null;
        readonly upper: number | null;
        /** The pre-flight finding about the shape's collection: the latency is told as the data's, not the version's. */
        readonly preflight?: string;
      }
    | { readonly kind: 'state'; readonly ns: string; readonly ids: readonly string[]; readonly preflight?: string }
    /** A plan change of the shape (harness/plans, added by the report from plans.json): the change kinds. */
    | { readonly kind: 'plan'; readonly shape: string; readonly changes: readonly string[] };
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
  /** Reply differences of server-describing commands: shown apart, never in a verdict. */
  readonly serverDifferences: readonly ServerDifferences[];
  readonly verdicts: readonly AppVerdict[];
}
