import { startProxy, type ProxyOptions, type RunningProxy } from '../capture/proxy/index.ts';
import { parseUpstream } from '../capture/proxy/upstream.ts';
import { Comparator } from '../compare/compare.ts';
import type { CompareResult } from '../compare/types.ts';
import type { CompareConfig } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import type { OperationOutcome } from '../model/run/outcome.ts';
import { RUN_FORMAT, RUN_FORMAT_VERSION, type RunJson, type RunTargetInfo, type ShadowRunSummary } from '../model/run/files.ts';
import { RunWriter } from '../model/run/writer.ts';
import { ReplayEngine, type EngineResult } from '../replay/engine.ts';
import { closeLiveTargets, openLiveTargets, runTargetInfo } from '../replay/live-targets.ts';
import type { ReplayTarget } from '../replay/send.ts';
import type { Transport } from '../replay/target.ts';
import { writeGuard } from '../replay/write-guard.ts';
import { openCaptureWriter, type CaptureWriter } from '../store/writer.ts';
import { parseTargetSpec, startTarget, type RunningTarget } from '../targets/index.ts';
import { RecordFeed, type Sampling } from './feed.ts';
import { MirrorGate } from './gate.ts';
import { ProductionTarget } from './production.ts';
import { liveView, type ShadowStatus } from './status.ts';

/**
 * Live shadow: the recording proxy in front of production, and off its path every
 * sampled operation mirrored to clones and compared as it happens.
 *
 *   application ──► proxy ──► production           (the proxy's own path: forwarded first, fail-open)
 *                     │ records (decoded on the proxy's thread, never awaited)
 *                     ▼
 *                RecordFeed: sampling, bounded queue (full: dropped, counted)
 *                     ▼
 *                ReplayEngine: production + every clone behind its MirrorGate
 *                     │  (cursor and session remapping exactly as a replay's)
 *                     ▼
 *                outcomes ──► RUN_DIR/outcomes.ndjson   and  ──► live Comparator ──► status
 *
 * Who is the baseline: with `baselines` (clones of production's version, one or two),
 * the run is a replay's: candidates are judged against the first clone, a second one
 * teaches noise, and production's reply is each outcome's recorded reply (three-way:
 * drift since production is told from the version's doing). Without, production itself
 * is the baseline target (ProductionTarget answers from the record): the candidate's
 * reply is compared with production's, and a difference cannot be told apart from the
 * clone's data lagging production.
 */
export interface ShadowRequest {
  readonly upstream: string;
  readonly listen?: { readonly host?: string; readonly port?: number };
  /** `NAME=TARGET` specs of clones at production's version (at most two). */
  readonly baselines: readonly string[];
  readonly candidates: readonly string[];
  readonly out: string;
  readonly sample: Sampling;
  readonly allowWrites: boolean;
  /** Also write every record (sampled or not) to this capture file. */
  readonly record?: string;
  /** Records waiting for the mirror at most (default 10,000). */
  readonly queue?: number;
  /** A clone whose turn comes this long after production's reply is skipped for that operation (default 5,000 ms). */
  readonly maxLagMs?: number;
  readonly opTimeoutMs?: number;
  /** Connections mirrored at once (default 64). */
  readonly concurrency?: number;
  readonly transport?: Transport;
  /** A clone that is down is tried again this often (default 5,000 ms). */
  readonly retryDownMs?: number;
  /** The live view: HTTP on this address (JSON at /status.json, a page at /). */
  readonly status?: { readonly host: string; readonly port: number };
  /** The `compare` config section, for the live comparison. */
  readonly compare?: CompareConfig;
  /** Proxy settings beyond the upstream and listener (TLS, limits, app label). */
  readonly proxy?: Omit<ProxyOptions, 'upstream' | 'listen' | 'capture' | 'sink' | 'replyMode' | 'redaction' | 'log'>;
  readonly log?: (line: string) => void;
}

export interface RunningShadow {
  readonly proxy: RunningProxy;
  /** `host:port` of the live view, when one was asked for. */
  readonly statusAddress?: string;
  status(): ShadowStatus;
  /** Stops the proxy, lets the mirror finish what is queued, writes run.json. */
  stop(): Promise<{ dir: string; run: RunJson }>;
}

const PRODUCTION = 'production';

export async function startShadow(req: ShadowRequest): Promise<RunningShadow> {
  const log = req.log ?? (() => undefined);
  const startedAt = new Date().toISOString();
  if (req.candidates.length === 0) throw new UsageError('--candidate: at least one candidate target is needed');
  if (req.baselines.length > 2) throw new UsageError('--baseline: at most two clones of production\'s version (the second teaches noise)');
  if (!(req.sample.rate > 0 && req.sample.rate <= 1)) throw new UsageError(`--sample ${req.sample.rate}: must be a share in (0, 1]`);
  const queue = req.queue ?? 10_000;
  if (!Number.isInteger(queue) || queue < 1) throw new UsageError(`--queue ${queue}: must be a positive integer`);
  const concurrency = req.concurrency ?? 64;
  const opTimeoutMs = req.opTimeoutMs ?? 5_000;
  const up = parseUpstream(req.upstream);
  const productionIsBaseline = req.baselines.length === 0;
  if (!productionIsBaseline && req.baselines.some((b) => parseTargetSpec(b).name === PRODUCTION)) throw new UsageError(`--baseline: the name '${PRODUCTION}' stands for the upstream; name the clone otherwise`);
  if (req.candidates.some((c) => parseTargetSpec(c).name === PRODUCTION)) throw new UsageError(`--candidate: the name '${PRODUCTION}' stands for the upstream; name the candidate otherwise`);

  // Production is only looked at (version, identity), never written: a connection-string target.
  const production: RunningTarget = await startTarget(parseTargetSpec(`${PRODUCTION}=${req.upstream}`), { log });
  const targets = await openLiveTargets(
    [...req.baselines.map((spec) => ({ spec, role: 'baseline' as const })), ...req.candidates.map((spec) => ({ spec, role: 'candidate' as const }))],
    { opTimeoutMs, maxPoolSize: Math.max(100, concurrency * 2), transport: req.transport ?? 'auto', log },
  );
  const stack: (() => Promise<void>)[] = [() => closeLiveTargets(targets), () => production.stop()];
  const unwind = async () => {
    for (const f of stack.splice(0).reverse()) await f().catch(() => undefined);
  };
  try {
    // Writes reach the clones only: every clone proved a server other than production and the other clones.
    const guard = await writeGuard(targets.live, [{ uri: req.upstream, ...(up.replicaSet ? { replicaSet: up.replicaSet } : {}) }], req.allowWrites, log);
    const gates = targets.live.map((t) => new MirrorGate(t, req.maxLagMs ?? 5_000, req.retryDownMs ?? 5_000));
    const mirrored: ReplayTarget[] = productionIsBaseline ? [new ProductionTarget(PRODUCTION), ...gates] : gates;
    const baselineNames = productionIsBaseline ? [PRODUCTION] : targets.live.filter((t) => t.info.role === 'baseline').map((t) => t.name);
    const candidateNames = targets.live.filter((t) => t.info.role === 'candidate').map((t) => t.name);

    let recordFile: CaptureWriter | undefined;
    if (req.record !== undefined) {
      recordFile = await openCaptureWriter(req.record, {
        ...(req.proxy?.app ? { app: req.proxy.app } : {}),
        source: { kind: 'proxy', host: up.display },
        ...(up.replicaSet ? { replicaSet: up.replicaSet } : {}),
        startedAt,
        redaction: { mode: 'none' },
        replyMode: 'full',
      });
      stack.push(() => recordFile!.close());
    }
    const feed = new RecordFeed(req.sample, queue, recordFile);
    const writer = await RunWriter.open(req.out);
    const live = new Comparator({
      baseline: baselineNames[0]!,
      ...(baselineNames[1] !== undefined ? { secondBaseline: baselineNames[1] } : {}),
      candidates: candidateNames,
      ...(req.compare ? { config: req.compare } : {}),
    });
    let outcomes = 0;
    const sink = (o: OperationOutcome): void | Promise<void> => {
      outcomes++;
      // Production as the baseline: its reply is already the baseline's; a recorded copy would only say "no drift".
      const kept = productionIsBaseline ? withoutRecorded(o) : o;
      live.learn(kept);
      live.add(kept);
      return writer.writeOutcome(kept);
    };
    const engine = new ReplayEngine(mirrored, { timing: 'fast', speed: 1, concurrency, allowWrites: req.allowWrites, mapDb: new Map(), measure: true, readAhead: 1_000 }, sink);
    const mirroring: Promise<EngineResult> = engine.run(feed);
    // Outcomes reach the disk within a second even when traffic is thin.
    const flushTimer = setInterval(() => void writer.sync(), 1_000);
    flushTimer.unref();

    const proxy = await startProxy({ ...req.proxy, upstream: req.upstream, ...(req.listen ? { listen: req.listen } : {}), sink: feed, replyMode: 'full', redaction: { mode: 'none' }, log });
    for (const m of proxy.members) log(`shadow: ${m.address} -> ${m.upstream}`);

    let snapshot: { at: number; result: CompareResult } | undefined;
    const compared = (): CompareResult => {
      const now = performance.now();
      if (!snapshot || now - snapshot.at > 1_000) snapshot = { at: now, result: live.finish() };
      return snapshot.result;
    };
    let state: ShadowStatus['state'] = 'running';
    const summary = (): ShadowRunSummary => {
      const f = feed.status();
      return {
        upstream: up.display,
        production: productionIsBaseline ? 'baseline' : 'recorded',
        sample: { ...req.sample },
        seen: f.seen,
        mirrored: f.queued,
        dropped: { ...f.dropped },
        targets: gates.map((g) => {
          const s = g.status();
          return { name: s.name, mirrored: s.mirrored, dropped: { ...s.dropped }, lagMs: s.lagMs ? { p50: s.lagMs.p50, p99: s.lagMs.p99 } : null };
        }),
      };
    };
    const status = (): ShadowStatus => ({
      state,
      startedAt,
      run: req.out,
      listen: proxy.members.map((m) => m.address),
      upstream: up.display,
      production: productionIsBaseline ? 'baseline' : 'recorded',
      feed: feed.status(),
      outcomes,
      records: engine.counts.records,
      targets: gates.map((g) => ({ ...g.status(), role: g.target.info.role })),
      compare: compared(),
    });
    const view = req.status ? await liveView(req.status.host, req.status.port, status) : undefined;
    if (view) {
      log(`shadow: live view at http://${view.address}/ (JSON at /status.json)`);
      stack.push(() => view.close());
    }

    let stopping: Promise<{ dir: string; run: RunJson }> | undefined;
    return {
      proxy,
      ...(view ? { statusAddress: view.address } : {}),
      status,
      stop: () =>
        (stopping ??= (async () => {
          state = 'stopping';
          try {
            await proxy.stop();
            await feed.close();
            const result = await mirroring;
            clearInterval(flushTimer);
            const s = summary();
            const notes = [...guard.notes, ...result.notes, ...shadowNotes(s)];
            for (const t of targets.live) if (t.down) notes.push(`target ${t.name}: ${t.down}; its operations while down are marked unavailable`);
            const productionInfo: RunTargetInfo = { name: PRODUCTION, role: 'baseline', uri: production.displayUri, serverVersion: production.serverVersion, product: production.product };
            const run: RunJson = {
              format: RUN_FORMAT,
              version: RUN_FORMAT_VERSION,
              status: 'complete',
              inputs: req.record !== undefined ? [req.record] : [],
              targets: [...(productionIsBaseline ? [productionInfo] : []), ...targets.live.map(runTargetInfo)],
              options: { mode: 'shadow', timing: 'live', allowWrites: req.allowWrites, sample: req.sample, queue, maxLagMs: req.maxLagMs ?? 5_000, opTimeoutMs, concurrency, transport: req.transport ?? 'auto' },
              counts: result.counts,
              identityCheck: guard.record,
              notes,
              shadow: s,
              startedAt,
              endedAt: new Date().toISOString(),
            };
            await writer.finish(result.histograms.values(), run);
            state = 'stopped';
            return { dir: req.out, run };
          } finally {
            clearInterval(flushTimer);
            await unwind();
          }
        })()),
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}

function withoutRecorded(o: OperationOutcome): OperationOutcome {
  if (o.recorded === undefined) return o;
  const { recorded: _r, ...rest } = o;
  return rest;
}

/** The shadow figures as run notes, which every report shows. */
function shadowNotes(s: ShadowRunSummary): string[] {
  const drops = Object.entries(s.dropped).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
  const lines = [
    `shadow of ${s.upstream}: ${s.seen} operation(s) seen, ${s.mirrored} mirrored${drops.length ? `, not mirrored: ${drops.join(', ')}` : ''}; production's replies are ${s.production === 'baseline' ? 'the baseline' : 'the recorded replies'}`,
  ];
  for (const t of s.targets) {
    const d = Object.entries(t.dropped).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
    lines.push(`shadow target ${t.name}: ${t.mirrored} operation(s) sent${d.length ? `, ${d.join(', ')}` : ''}${t.lagMs ? `, lag behind production p50 ${t.lagMs.p50.toFixed(1)} ms, p99 ${t.lagMs.p99.toFixed(1)} ms` : ''}`);
  }
  return lines;
}

