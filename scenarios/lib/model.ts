import type { Document, ReadPreferenceMode } from 'mongodb';

/**
 * A scenario is one consuming application as a reproducible workload: a seeded dataset
 * shaped like its collections and a seeded operation mix with its real command shapes
 * and client settings. Both are plain data (BSON documents and a tagged union of
 * operations), generated purely from (seed, scale, ops), so the same inputs give
 * byte-identical canonical Extended JSON (see `serialise.ts`) and a run is only their
 * execution against a server (`run.ts`).
 */
export interface Scenario {
  /** Registry key and CLI name (`mongo-compat scenario run NAME`). */
  readonly name: string;
  /** The app label: the client's `appName`, so the proxy and every report name it. */
  readonly app: string;
  /** One line for `scenario list`. */
  readonly summary: string;
  /** Database the scenario owns (dropped and seeded before a run). */
  readonly db: string;
  readonly client: ClientProfile;
  /** The seeded dataset; `scale` multiplies collection sizes (at least one document each). */
  dataset(seed: number, scale: number): Dataset;
  /** `count` operations of the app's mix, in the order one client thread sends them. */
  operations(seed: number, scale: number, count: number): readonly ScenarioOp[];
  /** What FerretDB rejects or the harness cannot do as the real app does, said once. */
  readonly notes?: readonly string[];
}

/** How the application's client connects, as the consuming app configures its driver. */
export interface ClientProfile {
  /**
   * `direct`: one host (`directConnection=true`). `replica-set`: the host list and
   * `replicaSet=NAME` (Hammer, the Java services), falling back to direct against a
   * target that is not a replica set. `tls`: direct over TLS (DRE; the real app uses
   * `mongodb+srv`, which needs DNS no local target has).
   */
  readonly connect: 'direct' | 'replica-set' | 'tls';
  /**
   * The app's read preference. `secondary` cannot be served by a one-member target: the
   * runner then uses `secondaryPreferred` (the driver still sends `$readPreference`)
   * and says so in its log and result.
   */
  readonly readPreference?: ReadPreferenceMode;
  readonly maxPoolSize?: number;
  /** Appended to the driver's metadata, e.g. the Haskell driver's name for DRE. */
  readonly driverInfo?: { readonly name: string; readonly version: string };
  readonly compressors?: readonly ('zlib' | 'snappy' | 'zstd')[];
}

export interface CollectionSeed {
  readonly name: string;
  readonly docs: readonly Document[];
  /** createIndexes specs built after the inserts. */
  readonly indexes?: readonly { readonly key: Document; readonly name: string; readonly unique?: boolean }[];
}

export interface Dataset {
  readonly collections: readonly CollectionSeed[];
}

/** One application call; `coll` is in the scenario's database unless a command names another. */
export type ScenarioOp =
  | { readonly op: 'find'; readonly coll: string; readonly filter: Document; readonly projection?: Document; readonly sort?: Document; readonly limit?: number; readonly skip?: number; readonly batchSize?: number; readonly noCursorTimeout?: boolean; readonly hint?: Document }
  | { readonly op: 'aggregate'; readonly coll: string; readonly pipeline: readonly Document[]; readonly allowDiskUse?: boolean; readonly batchSize?: number }
  | { readonly op: 'findOneAndUpdate'; readonly coll: string; readonly filter: Document; readonly update: Document; readonly sort?: Document; readonly upsert?: boolean; readonly returnNew?: boolean; readonly projection?: Document }
  | { readonly op: 'findOneAndDelete'; readonly coll: string; readonly filter: Document; readonly sort?: Document }
  | { readonly op: 'insertOne'; readonly coll: string; readonly doc: Document }
  | { readonly op: 'insertMany'; readonly coll: string; readonly docs: readonly Document[]; readonly ordered?: boolean }
  | { readonly op: 'updateOne' | 'updateMany'; readonly coll: string; readonly filter: Document; readonly update: Document | readonly Document[]; readonly upsert?: boolean }
  | { readonly op: 'replaceOne'; readonly coll: string; readonly filter: Document; readonly replacement: Document; readonly upsert?: boolean }
  | { readonly op: 'deleteOne' | 'deleteMany'; readonly coll: string; readonly filter: Document }
  | { readonly op: 'bulkWrite'; readonly coll: string; readonly ordered: boolean; readonly writes: readonly Document[] /* AnyBulkWriteOperation models: { updateOne | replaceOne | deleteOne | insertOne: … } */ }
  | { readonly op: 'countDocuments'; readonly coll: string; readonly filter: Document }
  | { readonly op: 'distinct'; readonly coll: string; readonly key: string; readonly filter: Document }
  /** `db.runCommand(command)` as DBUpgrader and DRE send it; `admin` for renameCollection. */
  | { readonly op: 'runCommand'; readonly admin?: boolean; readonly command: Document }
  /** A find sent as a legacy OP_QUERY on `db.coll`, as drivers before OP_MSG did. */
  | { readonly op: 'legacyFind'; readonly coll: string; readonly filter: Document; readonly projection?: Document; readonly sort?: Document; readonly limit?: number };

export type OpName = ScenarioOp['op'];
