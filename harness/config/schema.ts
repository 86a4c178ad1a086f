import { z } from 'zod';
import { DIFF_CLASSES } from '../model/diff-class.ts';
import { durationMs } from './duration.ts';

/**
 * The one config schema (`mongo-compat.config.yaml`). Types are inferred from it and
 * defaults live only here. Every stage adds its own section; flags given on the
 * command line win over the file. Each command's flag table (harness/cli/options.ts)
 * has an entry for every key of its section, and help shows the defaults read from here.
 */
export const TargetMapSchema = z
  .record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'target names may only hold letters, digits, _ . -'), z.string().min(1))
  .describe('named targets: NAME: mongodb://… | ferretdb | memory-server:VERSION | container:TAG');

/**
 * compare: what counts as a difference and what each class of difference weighs.
 * Built-in volatile fields and masked paths are in harness/compare/volatile.ts; these
 * lists add to them. Per-app and per-shape overrides add to the lists and may replace
 * the class thresholds.
 */
const DiffClassSchema = z.enum(DIFF_CLASSES);
const CompareOverrideSchema = z
  .object({
    volatileFields: z.array(z.string()).default([]),
    ignorePaths: z.array(z.string()).default([]),
    fail: z.array(DiffClassSchema).optional(),
    warn: z.array(DiffClassSchema).optional(),
  })
  .strict();

export const CompareConfigSchema = z
  .object({
    /** Top-level reply fields removed before comparing (e.g. a per-app `serverInfo`). */
    volatileFields: z.array(z.string()).default([]),
    /** Paths (`reply.n`, `docs[].updatedAt`) whose differences make an operation at most `equivalent`. */
    ignorePaths: z.array(z.string()).default([]),
    /** Classes that fail an app's verdict, and classes that warn. */
    fail: z.array(DiffClassSchema).default(['new-error', 'result-differs', 'error-differs']),
    warn: z.array(DiffClassSchema).default(['numeric-type-only', 'field-order-only', 'fixed-error', 'unavailable']),
    /** What a collection stored differently after replayed writes does to the verdict. */
    stateDiffers: z.enum(['fail', 'warn', 'pass']).default('fail'),
    /** The most a difference on a collection pre-flight found differing before replay weighs (not a version difference). */
    dataDiffers: z.enum(['fail', 'warn', 'pass']).default('warn'),
    latency: z
      .object({
        /** Fewer samples per side than this (operations timed on both): no judgement. */
        minSamples: z.number().int().min(2).default(20),
        /**
         * Confidence level of the interval around a shape's paired latency ratio (two-sided,
         * harness/compare/signed-rank.ts). A regression is claimed when its lower end clears
         * the floors, so sampling alone makes a false claim at most (1 - confidence) / 2 of
         * the time per shape, and far less with the `minRatio` margin.
         */
        confidence: z.number().gt(0).lt(1).default(0.99),
        /**
         * Smallest slowdown called a regression: the interval's lower end must exceed this
         * ratio (an improvement: its upper end must fall below 1 / minRatio). It absorbs
         * systematic offsets no interval sees, such as one server on a busier core.
         */
        minRatio: z.number().min(1).default(1.1),
        /** A regression whose paired interval's lower end (not the estimate, not a percentile) reaches this warns… */
        warnRatio: z.number().min(1).default(1.2),
        /** …and reaching this fails (null: never). */
        failRatio: z.number().min(1).nullable().default(null),
      })
      .strict()
      .prefault({}),
    /** Seqs kept per difference group as evidence. */
    maxSeqsPerGroup: z.number().int().positive().default(50),
    /** By app name. */
    apps: z.record(z.string(), CompareOverrideSchema).default({}),
    /** By shape id (12 hex digits, see harness/model/shape.ts). */
    shapes: z.record(z.string(), CompareOverrideSchema).default({}),
  })
  .strict();

export type CompareConfig = z.infer<typeof CompareConfigSchema>;

const DurationSchema = z.string().refine((text) => durationMs(text) !== undefined, 'expected a duration of at most a day, e.g. 30s, 500ms or 2m');

/** bench contention: defaults of `mongo-compat bench contention`; flags win. */
export const BenchContentionConfigSchema = z
  .object({
    workers: z.array(z.number().int().min(1).max(4096)).min(1).default([1, 2, 4, 8, 16, 32, 64, 128]),
    clients: z.number().int().min(1).max(1024).default(1),
    /** Measured window per step. */
    duration: DurationSchema.default('30s'),
    /** Warm-up per step before the window. */
    warmup: DurationSchema.default('5s'),
    workload: z.enum(['queue', 'hot-counter', 'lock']).default('queue'),
    indexes: z.boolean().default(true),
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    /** Pending jobs seeded per step (queue). */
    jobs: z.number().int().min(1).max(10_000_000).default(10_000),
    /** Hot documents (hot-counter) or lock documents (lock). */
    keys: z.number().int().min(1).max(100_000).default(4),
  })
  .strict();

/** ingest: defaults of `mongo-compat ingest`; flags win. */
export const IngestConfigSchema = z
  .object({
    /** Label every ingested operation with this app (else each record keeps the source's appName). */
    app: z.string().min(1).optional(),
    /** Collection `--profile` reads (a copy of a profile can live under another name). */
    profileCollection: z.string().min(1).default('system.profile'),
  })
  .strict();

/** proxy: defaults of `mongo-compat proxy`; flags win. */
export const ProxyConfigSchema = z
  .object({
    /** HOST:PORT of the first listener (one more port per member with a replica-set upstream). */
    listen: z
      .string()
      .refine((text) => /^.+:\d{1,5}$/.test(text) && Number(text.slice(text.lastIndexOf(':') + 1)) <= 65535, 'expected HOST:PORT')
      .default('127.0.0.1:27018'),
    /** Connection string of the real deployment (never stored or printed with its password). */
    upstream: z.string().min(1).optional(),
    out: z.string().min(1).optional(),
    app: z.string().min(1).optional(),
    reply: z.enum(['full', 'digest', 'none']).default('full'),
    /** Field paths whose values are replaced by keyed HMACs; the key comes from redactKeyEnv. */
    redactPaths: z.array(z.string().min(1)).default([]),
    redactKeyEnv: z.string().default('MONGO_COMPAT_REDACT_KEY'),
    maskStrings: z.boolean().default(false),
    tlsCert: z.string().optional(),
    tlsKey: z.string().optional(),
    upstreamCa: z.string().optional(),
    /** Records that may wait for disk before they are dropped (fail-open). */
    maxQueueMb: z.number().positive().default(64),
    rotateMb: z.number().positive().optional(),
    statusIntervalSec: z.number().positive().default(10),
    /** Client connections open at once; more are refused with an error reply. */
    maxConnections: z.number().int().positive().default(10_000),
    /** MiB of unfinished messages held across all connections; past it a message is forwarded but not recorded. */
    maxBufferMb: z.number().positive().default(64),
    /** Seconds a message may stay unfinished (or a new connection silent) before its connection is closed. */
    messageTimeoutSec: z.number().positive().default(30),
  })
  .strict();

/** The proxy's defaults, for library callers that leave a setting out (the demo, benchmarks). */
export const PROXY_DEFAULTS = Object.freeze(ProxyConfigSchema.parse({}));

/** replay: defaults of `mongo-compat replay`; flags win (target names refer to `targets`). */
export const ReplayConfigSchema = z
  .object({
    baseline: z.array(z.string().min(1)).default([]),
    candidate: z.array(z.string().min(1)).default([]),
    timing: z.enum(['fast', 'recorded']).default('fast'),
    /** Recorded timing: 2 replays twice as fast as recorded. */
    speed: z.number().positive().default(1),
    /** Fast timing: connections replayed at once. */
    concurrency: z.number().int().min(1).max(10_000).default(16),
    opTimeoutMs: z.number().int().positive().default(30_000),
    /** auto: the replayer's own OP_MSG transport where the target allows it, else the driver. */
    transport: z.enum(['auto', 'wire', 'driver']).default('auto'),
    warmupPass: z.boolean().default(false),
    allowWrites: z.boolean().default(false),
    strictPreflight: z.boolean().default(false),
    /** Database renames, FROM: TO. */
    mapDb: z.record(z.string().regex(/^[^=]+$/, 'expected a database name without "="'), z.string().min(1)).default({}),
  })
  .strict();

/** report: defaults of `mongo-compat report`; flags win. DD_API_KEY / DD_SITE come from the environment. */
export const ReportConfigSchema = z
  .object({
    formats: z.array(z.enum(['json', 'md', 'html', 'junit'])).min(1).default(['md', 'html', 'json', 'junit']),
    datadog: z
      .object({
        enabled: z.boolean().default(false),
        /** Overrides DD_SITE. */
        site: z.string().min(1).optional(),
        /** Extra tags on every series and event (`team:payments`). */
        tags: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/**
 * plans: `mongo-compat plans` (explaining every read shape of a run on every target) and
 * how each kind of plan change weighs: fail, warn, info (shown, never judged) or off.
 */
const PlanLevelSchema = z.enum(['fail', 'warn', 'info', 'off']);
export const PlansConfigSchema = z
  .object({
    /** executionStats runs the read (never a write: writes are always explained at queryPlanner). */
    verbosity: z.enum(['executionStats', 'queryPlanner']).default('executionStats'),
    /** Per explain: sent as maxTimeMS, and the client gives up shortly after. */
    timeLimitMs: z.number().int().positive().max(600_000).default(10_000),
    /** Operations explained per shape (the first ones of the run that succeeded on the baseline). */
    perShape: z.number().int().min(1).max(20).default(1),
    /** docsExamined per document returned growing by more than this factor is a change. */
    ratioFactor: z.number().min(1).default(2),
    levels: z
      .object({
        'explain-failed': PlanLevelSchema.default('fail'),
        collscan: PlanLevelSchema.default('fail'),
        'index-changed': PlanLevelSchema.default('warn'),
        'blocking-sort': PlanLevelSchema.default('warn'),
        'docs-ratio': PlanLevelSchema.default('warn'),
        'pushdown-lost': PlanLevelSchema.default('warn'),
        'shape-changed': PlanLevelSchema.default('warn'),
        'engine-changed': PlanLevelSchema.default('info'),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type PlansConfig = z.infer<typeof PlansConfigSchema>;

/**
 * suite: `mongo-compat suite`, the nightly regression replay: every app replayed against
 * the baseline and the candidates, one report per app, an index page over apps ×
 * candidates, and a history of runs (JSON lines) compared night to night.
 */
const SuiteAppSchema = z
  .object({
    /** Capture files or globs (rotated parts and shards in order). */
    capture: z.array(z.string().min(1)).min(1).optional(),
    /** A scenario's name (scenarios/registry.ts): its sample capture in captures/. */
    scenario: z.string().min(1).optional(),
    /** A run directory made elsewhere (a `shadow` run, a replay run by hand): reported as it is, nothing replayed. */
    run: z.string().min(1).optional(),
    timing: z.enum(['fast', 'recorded']).optional(),
    allowWrites: z.boolean().optional(),
    mapDb: z.record(z.string().regex(/^[^=]+$/, 'expected a database name without "="'), z.string().min(1)).optional(),
    opTimeoutMs: z.number().int().positive().optional(),
    concurrency: z.number().int().min(1).max(10_000).optional(),
  })
  .strict()
  .refine((a) => [a.capture, a.scenario, a.run].filter((x) => x !== undefined).length === 1, 'give an app exactly one of capture, scenario or run');
const SuiteAcceptSchema = z
  .object({
    /** A difference group's stable id (as the index page and history show it). */
    id: z.string().regex(/^g-[0-9a-f]{12}$/, 'expected a group id such as g-0123456789ab'),
    reason: z.string().min(1),
    /** Last day the acceptance holds (YYYY-MM-DD). */
    expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD'),
  })
  .strict();
export const SuiteConfigSchema = z
  .object({
    apps: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'app names may only hold letters, digits, _ . -'), SuiteAppSchema).default({}),
    /** A target name of `targets` or a target spec. */
    baseline: z.string().min(1).optional(),
    candidates: z.array(z.string().min(1)).default([]),
    /** Where the history of suite runs is kept (history.jsonl). */
    history: z.string().min(1).default('.mongo-compat/suite-history'),
    out: z.string().min(1).default('suite-out'),
    /** new: only difference groups not seen in the previous comparable run fail; any: every failing verdict. */
    failOn: z.enum(['new', 'any']).default('new'),
    accept: z.array(SuiteAcceptSchema).default([]),
    /** Runs shown in the index page's verdict strip per cell. */
    trendRuns: z.number().int().min(1).max(100).default(14),
    /**
     * Shell commands run around every app's replay, per target name: `before` (e.g. rewind
     * a clone to its snapshot) and `after`. The environment carries MONGO_COMPAT_TARGET,
     * MONGO_COMPAT_RUN_ID, MONGO_COMPAT_APP and MONGO_COMPAT_HOOK; output goes to
     * OUT/<app>/hooks/. A failing `before` hook stops that target's cells.
     */
    hooks: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.-]+$/, 'target names may only hold letters, digits, _ . -'),
        z.object({ before: z.string().min(1).optional(), after: z.string().min(1).optional(), timeoutMs: z.number().int().positive().default(600_000) }).strict(),
      )
      .default({}),
  })
  .strict();
export type SuiteConfig = z.infer<typeof SuiteConfigSchema>;

/**
 * shadow: `mongo-compat shadow`, production's traffic mirrored live to clones and
 * candidates through the recording proxy, compared as it flows; flags win.
 */
const HostPortSchema = z.string().refine((text) => /^.+:\d{1,5}$/.test(text) && Number(text.slice(text.lastIndexOf(':') + 1)) <= 65535, 'expected HOST:PORT');
export const ShadowConfigSchema = z
  .object({
    listen: HostPortSchema.default('127.0.0.1:27018'),
    upstream: z.string().min(1).optional(),
    /** Clones of production's version (at most two; the second teaches noise). Without, production's own replies are the baseline. */
    baseline: z.array(z.string().min(1)).max(2).default([]),
    candidate: z.array(z.string().min(1)).default([]),
    out: z.string().min(1).optional(),
    /** Share of the traffic mirrored. */
    sample: z.number().gt(0).max(1).default(1),
    sampleBy: z.enum(['connection', 'operation']).default('connection'),
    allowWrites: z.boolean().default(false),
    /** Also write every operation to this capture file. */
    record: z.string().min(1).optional(),
    /** Operations waiting for the mirror at most; past it new ones are dropped and counted. */
    queue: z.number().int().positive().default(10_000),
    /** A server whose turn comes this long after production's reply is skipped for that operation. */
    maxLagMs: z.number().int().positive().default(5_000),
    opTimeoutMs: z.number().int().positive().default(5_000),
    concurrency: z.number().int().min(1).max(10_000).default(64),
    transport: z.enum(['auto', 'wire', 'driver']).default('auto'),
    /** Mirror only while the host keeps this share of its CPU idle (0: always mirror). */
    minIdleCpu: z.number().min(0).max(1).default(0.2),
    /** Share of one core the mirror thread may use (0: no cap). */
    maxMirrorCpu: z.number().min(0).default(0.5),
    /** HOST:PORT of the live view (JSON and a page); none when absent. */
    status: HostPortSchema.optional(),
    /** End after this long (`30s`, `2h`); without, run until Ctrl-C or SIGTERM. */
    duration: DurationSchema.optional(),
    app: z.string().min(1).optional(),
    tlsCert: z.string().optional(),
    tlsKey: z.string().optional(),
    upstreamCa: z.string().optional(),
  })
  .strict();

/** Shadow's defaults, for library callers that leave a setting out (tests, benchmarks). */
export const SHADOW_DEFAULTS = Object.freeze(ShadowConfigSchema.parse({}));

export const ConfigSchema = z
  .object({
    targets: TargetMapSchema.default({}),
    compare: CompareConfigSchema.prefault({}),
    report: ReportConfigSchema.prefault({}),
    bench: z.object({ contention: BenchContentionConfigSchema.prefault({}) }).strict().prefault({}),
    ingest: IngestConfigSchema.prefault({}),
    proxy: ProxyConfigSchema.prefault({}),
    replay: ReplayConfigSchema.prefault({}),
    plans: PlansConfigSchema.prefault({}),
    suite: SuiteConfigSchema.prefault({}),
    shadow: ShadowConfigSchema.prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
