/** The four ways mongo-compat obtains a MongoDB-protocol server. */
export const TARGET_KINDS = Object.freeze(['uri', 'ferretdb', 'ferretdb-pg', 'memory-server', 'container'] as const);
export type TargetKind = (typeof TARGET_KINDS)[number];

/** A parsed `NAME=TARGET` argument; see spec.ts for the grammar. */
export interface TargetSpec {
  readonly name: string;
  readonly kind: TargetKind;
  /** Server version (memory-server), image tag (container) or FerretDB release. */
  readonly version?: string;
  /** Connection string, for kind `uri` only. */
  readonly uri?: string;
  /** Start a single-node replica set instead of a standalone server. */
  readonly replicaSet: boolean;
}

/** A server that is up and answering `ping`. */
export interface RunningTarget {
  readonly name: string;
  readonly kind: TargetKind;
  /** The connection string to use. May hold credentials: never print or store it. */
  readonly uri: string;
  /** The connection string with credentials removed: the only one to print or store. */
  readonly displayUri: string;
  /** `buildInfo.version` as the server reports it. */
  readonly serverVersion: string;
  /** What actually answers, e.g. `MongoDB 4.4.29` or `FerretDB v1.24.2 (reports 7.0.42)`. */
  readonly product: string;
  /** Stops what this target started; a no-op for `uri`. Safe to call twice. */
  stop(): Promise<void>;
}

/** Whether a kind can run on this machine, and why not. */
export interface Availability {
  readonly kind: TargetKind;
  readonly usable: boolean;
  /** One line: how it would run, or why it cannot. */
  readonly detail: string;
  /** Versions this kind would give here. */
  readonly versions: readonly string[];
}

export interface StartOptions {
  /** Milliseconds to wait for the server to answer `ping`. */
  readonly readyTimeoutMs?: number;
  /** Where progress lines go (stderr in the CLI); silent when absent. */
  readonly log?: (line: string) => void;
}

export interface TargetProvider {
  readonly kind: TargetKind;
  /** Answers within PROBE_TIMEOUT_MS, never hangs, never throws. */
  probe(): Promise<Availability>;
  start(spec: TargetSpec, options?: StartOptions): Promise<RunningTarget>;
}

/** Every probe answers well within the 15 s a user is promised. */
export const PROBE_TIMEOUT_MS = 10_000;
