import type { LatencyHistogram } from '../histogram.ts';
import type { IdentityCheckRecord } from './identity.ts';

/**
 * The layout of a run directory, shared by the writer, the reader and merge:
 *
 *   RUN_DIR/run.json             inputs, targets (versions), options, counts, start/end
 *   RUN_DIR/outcomes.ndjson      one OperationOutcome per line, canonical Extended JSON
 *   RUN_DIR/histograms.ndjson    one latency histogram per target × app × command × shape
 */
export const RUN_FORMAT = 'mongo-compat-run';
export const RUN_FORMAT_VERSION = 1;
export const RUN_JSON = 'run.json';
export const OUTCOMES_FILE = 'outcomes.ndjson';
export const HISTOGRAMS_FILE = 'histograms.ndjson';

export interface HistogramLine {
  readonly target: string;
  readonly app: string;
  readonly cmd: string;
  readonly shape: string;
  readonly shapeText: string;
  readonly count: number;
  /** HdrHistogram compressed base64 (see histogram.ts), microseconds. */
  readonly hist: string;
}

/** A latency histogram in memory, before it is encoded into a HistogramLine. */
export interface HistogramEntry {
  readonly target: string;
  readonly app: string;
  readonly cmd: string;
  readonly shape: string;
  readonly shapeText: string;
  readonly hist: LatencyHistogram;
}

export interface RunTargetInfo {
  readonly name: string;
  readonly role: 'baseline' | 'candidate';
  readonly uri: string;
  readonly serverVersion?: string;
  readonly product?: string;
  readonly replicaSet?: string;
  /** How commands reached it: the replayer's own OP_MSG pool, or the driver (and why). */
  readonly transport?: 'wire' | 'driver';
  readonly transportNote?: string;
  /** Set when the target went down during the run. */
  readonly down?: string;
}

export interface RunCounts {
  /** Capture records read (in this shard). */
  records: number;
  /** Logical operations with an outcome line (a cursor and its getMores count once). */
  outcomes: number;
  /** getMore/killCursors records folded into their cursor's logical result. */
  folded: number;
  /** Records skipped, by reason (writes-not-allowed, orphan-getmore, handshake, truncated, …). */
  skipped: Record<string, number>;
  /** Outcomes whose targets disagree by digest. */
  differences: number;
  /** Per target: ok / error / unavailable counts. */
  perTarget: Record<string, { ok: number; error: number; unavailable: number; skipped: number }>;
}

export interface PreflightResult {
  readonly method: 'dbHash' | 'sampled-docs' | 'none';
  readonly alike: boolean;
  readonly namespaces: number;
  readonly mismatches: readonly string[];
}

export interface RunJson {
  readonly format: typeof RUN_FORMAT;
  readonly version: number;
  readonly status: 'complete' | 'interrupted' | 'failed';
  readonly inputs: readonly string[];
  readonly targets: readonly RunTargetInfo[];
  readonly options: Record<string, unknown>;
  readonly shard?: { index: number; count: number };
  readonly counts: RunCounts;
  readonly preflight?: PreflightResult;
  /** Set when writes were replayed: collections read back afterwards (state.json) and how many differ. */
  readonly state?: { readonly namespaces: number; readonly differences: number };
  readonly notes: readonly string[];
  /** Replay fidelity in recorded-timing mode: lag between intended and actual send. */
  readonly scheduleLag?: { p50Us: number; p99Us: number; maxUs: number; count: number; hist: string };
  readonly startedAt: string;
  readonly endedAt: string;
  /** Set by merge: the runs merged into this one. */
  readonly mergedFrom?: readonly string[];
  /** What was checked to prove every target a server of its own (identity.ts). */
  readonly identityCheck?: IdentityCheckRecord;
  /** Set by `shadow`: the traffic was production's, mirrored live, not read from a capture. */
  readonly shadow?: ShadowRunSummary;
}

/**
 * A shadow run's traffic figures. `production` says what production's replies were:
 * the `baseline` target itself (no clone of production's version was given), or the
 * `recorded` reply of every outcome (the baselines are clones, as in a replay).
 */
export interface ShadowRunSummary {
  readonly upstream: string;
  readonly production: 'baseline' | 'recorded';
  readonly sample: { readonly rate: number; readonly by: 'connection' | 'operation' };
  /** Operations production's traffic carried (decoded by the proxy). */
  readonly seen: number;
  /** Operations handed to the mirror. */
  readonly mirrored: number;
  /** Operations not mirrored at all, by reason (`sampled-out`, `queue-full`, …). */
  readonly dropped: Readonly<Record<string, number>>;
  /** Per mirrored server: operations sent, operations not sent or not answered by reason, lag behind production. */
  readonly targets: readonly {
    readonly name: string;
    readonly mirrored: number;
    readonly dropped: Readonly<Record<string, number>>;
    readonly lagMs: { readonly p50: number; readonly p99: number } | null;
  }[];
}

export function emptyCounts(): RunCounts {
  return { records: 0, outcomes: 0, folded: 0, skipped: {}, differences: 0, perTarget: {} };
}
