import { readCaptureFooter, readCaptureHeader, type CaptureDamage, type CaptureIssue } from '../store/reader.ts';
import { readRecordings } from '../store/captures.ts';
import type { CaptureHeader, OperationRecord } from '../model/record.ts';
import { PreflightMismatchError, UsageError } from '../errors.ts';
import { ReplayEngine, type EngineOptions } from './engine.ts';
import { summarise, encodeHistogram } from '../model/histogram.ts';
import { MAX_PREFLIGHT_NAMESPACES, preflight } from './preflight.ts';
import { classify } from './classify.ts';
import { RUN_FORMAT, RUN_FORMAT_VERSION, type PreflightResult, type RunJson } from '../model/run/files.ts';
import { RunWriter, writeRunState } from '../model/run/writer.ts';
import { fetchState } from './state-fetch.ts';
import { captureSources, writeGuard } from './write-guard.ts';
import { inShard, type ShardSpec } from './shard.ts';
import type { LiveTarget, Transport } from './target.ts';
import { closeLiveTargets, openLiveTargets, runTargetInfo } from './live-targets.ts';
import { ReplayConfigSchema } from '../config/schema.ts';

/**
 * A whole replay: targets up, safety and pre-flight checks, the optional warm-up
 * pass, the measured pass into RUN_DIR, run.json. The CLI is a thin adapter over
 * this; tests call it directly too.
 */
export interface ReplayRequest {
  readonly captures: readonly string[];
  /** `NAME=TARGET` (or a bare target) for the baselines and candidates. */
  readonly baselines: readonly string[];
  readonly candidates: readonly string[];
  readonly out: string;
  readonly timing?: 'fast' | 'recorded';
  readonly speed?: number;
  readonly concurrency?: number;
  readonly warmupPass?: boolean;
  readonly allowWrites?: boolean;
  readonly strictPreflight?: boolean;
  /** Database renames, FROM → TO. */
  readonly mapDb?: Readonly<Record<string, string>>;
  /** Replay only the connections of one shard. */
  readonly shard?: ShardSpec;
  readonly opTimeoutMs?: number;
  /** auto (default): the wire transport where the target allows it (target.ts). */
  readonly transport?: Transport;
  readonly signal?: AbortSignal;
  /** Human lines (stderr in the CLI). */
  readonly log?: (line: string) => void;
  readonly onProgress?: (p: ReplayProgress) => void;
  readonly progressIntervalMs?: number;
  /**
   * Runs once the run directory is complete and before the targets are closed and any
   * server the replay started is stopped (`replay --plans` explains there), with each
   * target's connection string by name. Its failure fails the replay.
   */
  readonly afterRun?: (dir: string, uris: Readonly<Record<string, string>>) => Promise<void>;
}

export interface ReplayProgress {
  readonly phase: 'warmup' | 'replay' | 'done';
  readonly done: number;
  /**
   * Records to replay: from the capture files' footers while the replay reads (estimated
   * for a shard, and growing as it reads a file without a footer), exact once it is over.
   */
  readonly total: number;
  /** Whether `total` is exact yet. */
  readonly totalExact: boolean;
  readonly errors: number;
  readonly differences: number;
  readonly elapsedMs: number;
}

/** The config schema's replay defaults, for callers that leave a setting out (tests, benchmarks). */
export const REPLAY_DEFAULTS = Object.freeze(ReplayConfigSchema.parse({}));

export async function replay(req: ReplayRequest): Promise<{ dir: string; run: RunJson }> {
  const log = req.log ?? (() => undefined);
  const startedAt = new Date().toISOString();
  if (req.captures.length === 0) throw new UsageError('captures: at least one capture file is needed');
  if (req.baselines.length === 0) throw new UsageError('baselines: at least one baseline target is needed');
  const timing = req.timing ?? REPLAY_DEFAULTS.timing;
  const speed = req.speed ?? REPLAY_DEFAULTS.speed;
  if (!(speed > 0)) throw new UsageError(`speed ${speed}: must be a positive number`);
  const concurrency = req.concurrency ?? REPLAY_DEFAULTS.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`concurrency ${concurrency}: must be a positive integer`);
  const opTimeoutMs = req.opTimeoutMs ?? REPLAY_DEFAULTS.opTimeoutMs;
  const mapDb = new Map(Object.entries(req.mapDb ?? {}));
  const shard = req.shard;
  const specs = [
    ...req.baselines.map((spec) => ({ spec, role: 'baseline' as const })),
    ...req.candidates.map((spec) => ({ spec, role: 'candidate' as const })),
  ];
  const headers: CaptureHeader[] = [];
  for (const file of req.captures) headers.push(await readCaptureHeader(file));

  const poolSize = Math.max(100, concurrency * 2);
  const targets = await openLiveTargets(specs, { opTimeoutMs, maxPoolSize: poolSize, transport: req.transport ?? REPLAY_DEFAULTS.transport, log });
  const live = targets.live;
  try {
    // The write guard: targets proved distinct from the source and each other (write-guard.ts).
    const guard = await writeGuard(live, captureSources(headers), req.allowWrites ?? false, log);

    const issues: CaptureIssue[] = [];
    /** Damaged compressed data the reader skipped, per file, and what it read after it (store/resync.ts). */
    const damage: CaptureDamage[] = [];
    const records = (): AsyncIterable<OperationRecord> =>
      readRecordings(
        req.captures,
        {
          onIssue: (i) => {
            if (issues.length < 1000) issues.push(i);
          },
          onDamage: (d) => damage.push(d),
        },
        headers,
      );

    // No pass over the capture before the first operation (issue 23: the pre-scan of a
    // 1M-operation capture took seconds). The total comes from the files' footers, the
    // namespaces to pre-flight from a bounded look at the first records (kept, and replayed
    // first: nothing is read twice), and the collections written are noted as the replay
    // reads them (they are read back only once it is over).
    const progress = await progressTotal(req.captures, shard);
    const look = await lookAhead(records(), shard, LOOK_RECORDS);
    const namespaces = new Map<string, Set<string>>();
    const nsCount = { n: 0 };
    // Recorded connections seen in the look, up to the pool size: how many pooled connections to open before the measured pass.
    const conns = new Set<string>();
    for (const rec of look.head) {
      if (conns.size < poolSize) conns.add(rec.conn);
      noteNamespace(namespaces, nsCount, rec, mapDb);
    }
    // Collections the replay writes to: read back from every target once it is over.
    const written = new Map<string, Set<string>>();
    // Namespaces first seen after the look: checked after the replay when it did not write them.
    const late = new Map<string, Set<string>>();
    const observe = (rec: OperationRecord): void => {
      progress.read++;
      if (req.allowWrites) noteWritten(written, rec, mapDb);
      if (!look.ended && nsCount.n < MAX_PREFLIGHT_NAMESPACES && rec.coll) {
        const db = mapDb.get(rec.db) ?? rec.db;
        if (!namespaces.get(db)?.has(rec.coll)) noteNamespace(late, nsCount, rec, mapDb);
      }
    };
    const notes: string[] = [...guard.notes];
    let pre: PreflightResult = await preflight(live, namespaces, opTimeoutMs);
    if (!pre.alike) {
      const msg = `pre-flight: targets do not start alike (${pre.method}) on ${pre.mismatches.length} collection(s): ${pre.mismatches[0]}`;
      if (req.strictPreflight) throw new PreflightMismatchError(msg);
      notes.push(msg);
      log(`warning: ${msg}`);
    } else if (pre.method !== 'none') log(`pre-flight: ${pre.namespaces} collection(s) alike (${pre.method})`);

    // Fast timing keeps at most `concurrency` operations in flight; recorded timing one per recorded connection.
    await Promise.all(live.map((t) => t.warm(Math.min(poolSize, timing === 'fast' ? concurrency : Math.max(1, conns.size)))));

    const base: Omit<EngineOptions, 'measure'> = { timing, speed, concurrency, allowWrites: req.allowWrites ?? false, mapDb, shard, signal: req.signal };
    const started = performance.now();
    const ticker = (phase: ReplayProgress['phase'], engine: ReplayEngine) => {
      const emit = () =>
        req.onProgress?.({
          phase,
          done: engine.done,
          ...progress.now(engine.done),
          errors: Object.values(engine.counts.perTarget).reduce((n, c) => n + c.error + c.unavailable, 0),
          differences: engine.counts.differences,
          elapsedMs: performance.now() - started,
        });
      const timer = req.onProgress ? setInterval(emit, req.progressIntervalMs ?? 250) : undefined;
      return () => {
        if (timer) clearInterval(timer);
        emit();
      };
    };
    if (req.warmupPass) {
      log('warm-up pass: reads once, unmeasured');
      const warm = new ReplayEngine(live, { ...base, timing: 'fast', measure: false }, () => undefined);
      const stop = ticker('warmup', warm);
      await warm.run(records());
      stop();
    }

    const writer = await RunWriter.open(req.out);
    const engine = new ReplayEngine(live, { ...base, measure: true, observe }, (o) => writer.writeOutcome(o));
    const stop = ticker('replay', engine);
    const result = await engine.run(look.records);
    progress.ended = !result.interrupted;
    stop();

    // Namespaces first seen after the look: the replay did not change those it never wrote, so they are checked now.
    if (late.size > 0 && !result.interrupted) {
      const unwritten = new Map<string, Set<string>>();
      let skipped = 0;
      for (const [db, colls] of late) {
        for (const coll of colls) {
          if (written.get(db)?.has(coll)) skipped++;
          else {
            let set = unwritten.get(db);
            if (!set) unwritten.set(db, (set = new Set()));
            set.add(coll);
          }
        }
      }
      if (unwritten.size > 0) {
        const after = await preflight(live, unwritten, opTimeoutMs);
        pre = mergePreflight(pre, after);
        if (!after.alike) {
          const msg = `pre-flight (after the replay, of ${after.namespaces} collection(s) first met after record ${LOOK_RECORDS} and never written): targets do not hold them alike (${after.method}) on ${after.mismatches.length} collection(s): ${after.mismatches[0]}`;
          if (req.strictPreflight) throw new PreflightMismatchError(msg);
          notes.push(msg);
          log(`warning: ${msg}`);
        }
      }
      if (skipped > 0) notes.push(`pre-flight: ${skipped} collection(s) first met after record ${LOOK_RECORDS} were written by the replay and not checked`);
    }

    notes.push(...result.notes);
    let stateSummary: RunJson['state'];
    const baselineTarget = live.find((t) => t.info.role === 'baseline');
    const candidateTargets = live.filter((t) => t.info.role === 'candidate' && !t.down);
    if (written.size > 0 && baselineTarget && !baselineTarget.down && candidateTargets.length > 0 && !result.interrupted) {
      const side = (t: LiveTarget) => ({ name: t.name, db: (name: string) => t.client.db(name) });
      const state = await fetchState(side(baselineTarget), candidateTargets.map(side), written, { ...(req.signal ? { signal: req.signal } : {}) });
      await writeRunState(req.out, state);
      notes.push(...state.notes);
      const nsCount = [...written.values()].reduce((n, s) => n + s.size, 0);
      stateSummary = { namespaces: nsCount, differences: state.differences.length };
      log(`state after writes: ${nsCount} collection(s) read back, ${state.differences.length} difference(s)`);
    }
    for (const t of live) if (t.down) notes.push(`target ${t.name}: ${t.down}; its later operations are marked unavailable`);
    if (issues.length > 0) {
      const first = issues[0];
      notes.push(`capture: ${issues.length} record(s) unreadable and skipped${first ? ` (first: ${first.file}:${first.line} ${first.code} ${first.message})` : ''}`);
    }
    for (const d of damage) {
      const line = `capture ${d.file}: damaged compressed data, ${d.members} batch(es) and ${d.bytesSkipped} compressed byte(s) skipped; ${d.recordsRecovered} record(s) read after the damage${d.restLost ? '; the rest of the file could not be read' : ''}`;
      notes.push(line);
      log(`warning: ${line}`);
    }
    const lag = result.scheduleLag;
    const run: RunJson = {
      format: RUN_FORMAT,
      version: RUN_FORMAT_VERSION,
      status: result.interrupted ? 'interrupted' : 'complete',
      inputs: [...req.captures],
      targets: live.map(runTargetInfo),
      options: {
        timing,
        speed,
        concurrency,
        warmupPass: req.warmupPass ?? false,
        allowWrites: req.allowWrites ?? false,
        strictPreflight: req.strictPreflight ?? false,
        mapDb: Object.fromEntries(mapDb),
        opTimeoutMs,
        transport: req.transport ?? REPLAY_DEFAULTS.transport,
      },
      ...(shard ? { shard } : {}),
      counts: { ...result.counts, skipped: { ...result.counts.skipped, ...(issues.length ? { 'unreadable-record': issues.length } : {}) } },
      preflight: pre,
      identityCheck: guard.record,
      ...(stateSummary ? { state: stateSummary } : {}),
      notes,
      ...(lag && lag.totalCount > 0
        ? { scheduleLag: { ...pick(summarise(lag)), count: lag.totalCount, hist: encodeHistogram(lag) } }
        : {}),
      startedAt,
      endedAt: new Date().toISOString(),
    };
    await writer.finish(result.histograms.values(), run);
    if (req.afterRun && !result.interrupted) await req.afterRun(req.out, Object.fromEntries(live.map((t) => [t.name, t.info.uri])));
    return { dir: req.out, run };
  } finally {
    await closeLiveTargets(targets);
  }
}

function pick(s: ReturnType<typeof summarise>): { p50Us: number; p99Us: number; maxUs: number } {
  return { p50Us: s.p50Us, p99Us: s.p99Us, maxUs: s.maxUs };
}

/** The namespace a write record changes (an aggregate's $out/$merge target too), in the replayed database's name. */
function noteWritten(written: Map<string, Set<string>>, rec: OperationRecord, mapDb: ReadonlyMap<string, string>): void {
  if (classify(rec.cmd, rec.command) !== 'write') return;
  const add = (db: string, coll: unknown): void => {
    if (typeof coll !== 'string' || coll.length === 0) return;
    const mapped = mapDb.get(db) ?? db;
    let set = written.get(mapped);
    if (!set) written.set(mapped, (set = new Set()));
    set.add(coll);
  };
  if (rec.coll) add(rec.db, rec.coll);
  const pipeline = rec.command.pipeline;
  const last: unknown = Array.isArray(pipeline) ? pipeline[pipeline.length - 1] : undefined;
  if (last && typeof last === 'object') {
    const out = (last as Record<string, unknown>).$out ?? (last as Record<string, unknown>).$merge;
    if (typeof out === 'string') add(rec.db, out);
    else if (out && typeof out === 'object') {
      const o = out as Record<string, unknown>;
      const into = o.into ?? o.coll;
      if (typeof into === 'string') add(typeof o.db === 'string' ? o.db : rec.db, into);
      else if (into && typeof into === 'object') add(String((into as Record<string, unknown>).db ?? rec.db), (into as Record<string, unknown>).coll);
    }
  }
}

/**
 * Records read before the first operation goes out, for the namespaces pre-flight checks
 * (and the connections to open): bounded, so a replay starts in well under a second at
 * any capture size (about 10–20 µs a record to read; measured by the replay bench).
 */
export const LOOK_RECORDS = 5_000;

/**
 * The first `max` records of `source` (those of the shard), read now, and an iterable of
 * the whole capture that yields them and then continues the same read: the capture is
 * read once. No generator in between: a `next()` per record costs a call, not a hop.
 */
async function lookAhead(
  source: AsyncIterable<OperationRecord>,
  shard: ShardSpec | undefined,
  max: number,
): Promise<{ head: OperationRecord[]; ended: boolean; records: AsyncIterable<OperationRecord> }> {
  const it = source[Symbol.asyncIterator]();
  const head: OperationRecord[] = [];
  let ended = false;
  for (let read = 0; read < max; read++) {
    const n = await it.next();
    if (n.done) {
      ended = true;
      break;
    }
    if (inShard(n.value.conn, shard)) head.push(n.value);
  }
  let i = 0;
  const records: AsyncIterable<OperationRecord> = {
    [Symbol.asyncIterator]: () => ({
      next: (): Promise<IteratorResult<OperationRecord>> => {
        if (i < head.length) {
          const value = head[i]!;
          // Not held once handed on: the look's records would otherwise stay in memory all run.
          head[i++] = undefined as unknown as OperationRecord;
          return Promise.resolve({ done: false, value });
        }
        return ended ? Promise.resolve({ done: true, value: undefined }) : it.next();
      },
      return: async (): Promise<IteratorResult<OperationRecord>> => {
        i = head.length;
        if (!ended) await it.return?.();
        return { done: true, value: undefined };
      },
    }),
  };
  return { head, ended, records };
}

/**
 * The progress total without a pass over the capture: the records the files' footers
 * count (an estimate for a shard, or while a file without a footer is read), exact once
 * the replay has read the whole capture.
 */
async function progressTotal(files: readonly string[], shard: ShardSpec | undefined): Promise<{ read: number; ended: boolean; now: (done: number) => { total: number; totalExact: boolean } }> {
  let footerRecords = 0;
  let allFooters = true;
  for (const f of files) {
    const footer = await readCaptureFooter(f);
    if (footer) footerRecords += footer.records;
    else allFooters = false;
  }
  const state = {
    read: 0,
    ended: false,
    now: (done: number) => {
      if (state.ended) return { total: state.read, totalExact: true };
      const estimate = allFooters ? Math.round(footerRecords / (shard?.count ?? 1)) : 0;
      return { total: Math.max(estimate, state.read, done), totalExact: allFooters && !shard };
    },
  };
  return state;
}

/** Adds the namespace a record touches (handshakes aside) to `into`, up to MAX_PREFLIGHT_NAMESPACES in all. */
function noteNamespace(into: Map<string, Set<string>>, count: { n: number }, rec: OperationRecord, mapDb: ReadonlyMap<string, string>): void {
  if (!rec.coll || count.n >= MAX_PREFLIGHT_NAMESPACES) return;
  const db = mapDb.get(rec.db) ?? rec.db;
  if (into.get(db)?.has(rec.coll) || classify(rec.cmd, rec.command) === 'handshake') return;
  let set = into.get(db);
  if (!set) into.set(db, (set = new Set()));
  set.add(rec.coll);
  count.n++;
}

/** Pre-flight before the replay and of the namespaces checked after it, as one result. */
function mergePreflight(a: PreflightResult, b: PreflightResult): PreflightResult {
  const method: PreflightResult['method'] = a.method === 'sampled-docs' || b.method === 'sampled-docs' ? 'sampled-docs' : a.method === 'none' ? b.method : a.method;
  return { method, alike: a.alike && b.alike, namespaces: a.namespaces + b.namespaces, mismatches: [...a.mismatches, ...b.mismatches] };
}
