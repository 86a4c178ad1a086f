/**
 * State after writes: what the collections a replay wrote to hold on each target once
 * the replay is over. Two writes may reply alike and store differently (an update
 * operator whose semantics changed, a number widened on store, an index option
 * dropped), so after replaying writes the replayer reads every written collection back
 * from every target and the compare stage judges the differences.
 *
 *   RUN_DIR/state.json    one RunState, written by replay, read by compare/report
 */
export const STATE_FILE = 'state.json';

/** One collection on one target. */
export interface CollectionSummary {
  /** `db.collection`, in the baseline's database names (after --map-db). */
  readonly ns: string;
  readonly count: number;
  /**
   * Order-independent hash of the documents (XOR of each document's sha256 over its
   * BSON bytes, so field order and numeric types count, the server's order does not).
   */
  readonly hash: string;
  /** Index specs, one canonical text each (key pattern and options, name and version left out). */
  readonly indexes: readonly string[];
  /** Set when the collection could not be read in full (the reason). */
  readonly incomplete?: string;
}

export interface StateDifference {
  readonly candidate: string;
  readonly ns: string;
  /** `documents`: joined document by document on `_id`; `hash`: too large for that, judged by count and hash. */
  readonly method: 'hash' | 'documents';
  readonly baselineCount?: number;
  readonly candidateCount?: number;
  /** `_id`s (canonical EJSON) missing on the candidate, extra on it, stored differently: the first ones only. */
  readonly missing: readonly string[];
  readonly extra: readonly string[];
  readonly changed: readonly string[];
  /** How many there are in all (the lists above are capped). */
  readonly totals?: { readonly missing: number; readonly extra: number; readonly changed: number };
  /** Index specs only the baseline has, only the candidate has. */
  readonly indexes?: { readonly missing: readonly string[]; readonly extra: readonly string[] };
  /** Sample documents of `changed`, both sides. */
  readonly samples?: readonly { readonly id: string; readonly baseline?: string; readonly candidate?: string }[];
}

export interface RunState {
  /** The baseline every candidate was compared with. */
  readonly baseline: string;
  /** Per target: its written collections. */
  readonly targets: Readonly<Record<string, readonly CollectionSummary[]>>;
  /** Per candidate and collection that differs from the baseline. */
  readonly differences: readonly StateDifference[];
  /** Why some collections were not compared document by document (size caps, time). */
  readonly notes: readonly string[];
}
