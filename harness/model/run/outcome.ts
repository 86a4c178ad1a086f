import type { BSON } from 'mongodb';

/**
 * What one replayed operation produced on one target: the contract between the
 * replayer (which writes outcomes into a run directory) and the compare stage (pure
 * functions over them). In memory BSON values are the driver's BSON classes, read
 * with `promoteValues: false` so int32, int64 and double stay apart; on disk they
 * are canonical Extended JSON.
 */
export type OutcomeStatus = 'ok' | 'error' | 'unavailable' | 'skipped';

export interface OutcomeError {
  readonly code?: number;
  readonly codeName?: string;
  readonly message?: string;
}

export interface TargetOutcome {
  readonly status: OutcomeStatus;
  /**
   * The reply document. For cursor-opening commands (find, aggregate, listCollections,
   * …) this is the first reply with `cursor.firstBatch` emptied: the documents of the
   * whole logical result (first batch and every getMore) are in `docs`.
   */
  readonly reply?: BSON.Document;
  /** All documents of a cursor's logical result, in the order the server sent them. */
  readonly docs?: readonly BSON.Document[];
  /**
   * Set when `docs` holds fewer documents than the logical result (the replayer keeps
   * a bounded number per cursor so memory stays flat): the full count. The digest
   * still covers every document.
   */
  readonly docsCount?: number;
  /** sha256 (hex) of the canonical reply (and docs); kept when the full reply is not. */
  readonly digest?: string;
  readonly error?: OutcomeError;
  /** Microseconds; in recorded-timing mode measured from the intended send time. */
  readonly latencyUs?: number;
  /** Why the operation was not run on this target (skipped/unavailable). */
  readonly reason?: string;
}

export interface OperationOutcome {
  /** `seq` of the capture record (of the cursor-opening command for a logical cursor result). */
  readonly seq: number;
  readonly conn: string;
  readonly app?: string;
  readonly db: string;
  readonly coll?: string;
  readonly cmd: string;
  /** Shape id from harness/model/shape.ts. */
  readonly shape: string;
  /** The command as sent (after rewriting), for evidence in reports. */
  readonly command: BSON.Document;
  /** What production answered, from the capture, when it was recorded in full. */
  readonly recorded?: {
    readonly reply?: BSON.Document;
    readonly docs?: readonly BSON.Document[];
    readonly error?: OutcomeError;
    readonly durUs?: number | null;
  };
  /** By target name: the baseline(s) and every candidate. */
  readonly targets: Readonly<Record<string, TargetOutcome>>;
}
