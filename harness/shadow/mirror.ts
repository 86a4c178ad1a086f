import { InlineRecording } from '../capture/proxy/recording.ts';
import { parseUpstream } from '../capture/proxy/upstream.ts';
import { Comparator } from '../compare/compare.ts';
import type { CompareResult } from '../compare/types.ts';
import { SHADOW_DEFAULTS, type CompareConfig } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import type { OperationOutcome } from '../model/run/outcome.ts';
import { RUN_FORMAT, RUN_FORMAT_VERSION, type RunJson, type RunTargetInfo, type ShadowRunSummary } from '../model/run/files.ts';
import { RunWriter } from '../model/run/writer.ts';
import { ReplayEngine, type EngineResult } from '../replay/engine.ts';
import { closeLiveTargets, openLiveTargets, runTargetInfo } from '../replay/live-targets.ts';
import type { ReplayTarget } from '../replay/send.ts';
import type { Transport } from '../replay/target.ts';
import { writeGuard, type WriteGuardResult } from '../replay/write-guard.ts';
import { openCaptureWriter, type CaptureWriter } from '../store/writer.ts';
import { parseTargetSpec, startTarget, type RunningTarget } from '../targets/index.ts';
import { RecordFeed, type Sampling } from './feed.ts';
import { MirrorGate } from './gate.ts';
import { CpuGovernor } from './governor.ts';
import { ProductionTarget } from './production.ts';
import { statusJson, withUnposted, type LiveStatus } from './status.ts';

/**
 * The mirror: everything of a shadow that is not the proxy's own path. It runs in the
 * mirror worker (mirror-thread.ts), off the forwarding thread, at the lowest CPU
 * priority, so the application's bytes never wait for it.
 *
 *   framed messages (from the proxy's thread, in batches)
 *        ▼
 *   InlineRecording: decoded and paired into records, as the recording worker does
 *        ▼
 *   RecordFeed: sampling, bounded queue (full: dropped, counted)
 *        ▼
 *   ReplayEngine: production + every clone behind its MirrorGate
 *        │  (cursor and session remapping exactly as a replay's)
 *        ▼
 *   outcomes ──► RUN_DIR/outcomes.ndjson   and  ──► live Comparator ──► status
 *
 * Who is the baseline: with `baselines` (clones of production's version, one or two),
 * the run is a replay's: candidates are judged against the first clone, a second one
 * teaches noise, and production's reply is each outcome's recorded reply (three-way:
 * drift since production is told from the version's doing). Without, production itself
 * is the baseline target (ProductionTarget answers from the record): the candidate's
 * reply is compared with production's, and a difference cannot be told apart from the
 * clone's data lagging production.
 */
export interface MirrorRequest {
  readonly upstream: string;
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
  /** A server whose turn comes this long after production's reply is skipped for that operation (default 5,000 ms). */
  readonly maxLagMs?: number;
  readonly opTimeoutMs?: number;
  /** Connections mirrored at once (default 64). */
  readonly concurrency?: number;
  readonly transport?: Transport;
  /** A server that is down is tried again this often (default 5,000 ms). */
  readonly retryDownMs?: number;
  /** The `compare` config section, for the live comparison. */
  readonly compare?: CompareConfig;
  /** Label every operation with this app. */
  readonly app?: string;
  /** Mirror only while the host keeps this share of its CPU idle (default 0.2; 0: always). */
  readonly minIdleCpu?: number;
  /** Share of one core the mirror thread may use (0: no cap; SHADOW_DEFAULTS when absent). */
  readonly maxMirrorCpu?: number;
}

const PRODUCTION = 'production';

export class Mirror {
  readonly pipe: InlineRecording;
  private outcomes = 0;
  private snapshot?: { at: number; result: CompareResult };
  private state: LiveStatus['state'] = 'running';
  private readonly mirroring: Promise<EngineResult>;
  private readonly flushTimer: NodeJS.Timeout;
  private readonly startedAt = new Date().toISOString();

  private constructor(
    private readonly req: MirrorRequest,
    private readonly production: RunningTarget,
    private readonly targets: Awaited<ReturnType<typeof openLiveTargets>>,
    private readonly guard: WriteGuardResult,
    private readonly recordFile: CaptureWriter | undefined,
    private readonly writer: RunWriter,
    private readonly log: (line: string) => void,
  ) {
    const productionIsBaseline = req.baselines.length === 0;
    const maxLagMs = req.maxLagMs ?? SHADOW_DEFAULTS.maxLagMs;
    this.gates = targets.live.map((t) => new MirrorGate(t, maxLagMs, req.retryDownMs ?? 5_000));
    const mirrored: ReplayTarget[] = productionIsBaseline ? [new ProductionTarget(PRODUCTION), ...this.gates] : this.gates;
    const baselines = productionIsBaseline ? [PRODUCTION] : targets.live.filter((t) => t.info.role === 'baseline').map((t) => t.name);
    this.governor = new CpuGovernor({ minIdle: req.minIdleCpu ?? SHADOW_DEFAULTS.minIdleCpu, maxThreadCpu: req.maxMirrorCpu ?? SHADOW_DEFAULTS.maxMirrorCpu });
    // The queue holds at most a quarter of --max-lag of waiting: past it the mirror is behind, and takes new work only as it catches up.
    this.feed = new RecordFeed(req.sample, req.queue ?? SHADOW_DEFAULTS.queue, recordFile, Math.random, () => this.governor.refusal, maxLagMs / 4);
    // Without a record file, what the feed would drop anyway is not even decoded (RecordFeed.admit).
    const admit = recordFile ? {} : { admit: (conn: string) => this.feed.admit(conn) };
    this.pipe = new InlineRecording(this.feed, { ...(req.app ? { app: req.app } : {}), replyMode: 'full', redaction: { mode: 'none' }, renderReplies: false, ...admit }, log);
    this.live = new Comparator({
      baseline: baselines[0]!,
      ...(baselines[1] !== undefined ? { secondBaseline: baselines[1] } : {}),
      candidates: targets.live.filter((t) => t.info.role === 'candidate').map((t) => t.name),
      ...(req.compare ? { config: req.compare } : {}),
    });
    this.engine = new ReplayEngine(
      mirrored,
      // A connection silent for a minute is forgotten (its open cursors end as killed): days of connections come and go.
      { timing: 'fast', speed: 1, concurrency: req.concurrency ?? SHADOW_DEFAULTS.concurrency, allowWrites: req.allowWrites, mapDb: new Map(), measure: true, readAhead: 1_000, idleConnectionMs: 60_000 },
      (o) => this.outcome(o),
    );
    this.mirroring = this.engine.run(this.feed);
    // Outcomes reach the disk within a second even when traffic is thin.
    this.flushTimer = setInterval(() => void this.writer.sync(), 1_000);
    this.flushTimer.unref();
  }

  private readonly gates: MirrorGate[];
  private readonly governor: CpuGovernor;
  private readonly feed: RecordFeed;
  private readonly live: Comparator;
  private readonly engine: ReplayEngine;

  /** Targets up, the write guard passed, the run directory open: ready for traffic. Throws one line when not. */
  static async start(req: MirrorRequest, log: (line: string) => void): Promise<Mirror> {
    if (req.candidates.length === 0) throw new UsageError('--candidate: at least one candidate target is needed');
    if (req.baselines.length > 2) throw new UsageError("--baseline: at most two clones of production's version (the second teaches noise)");
    if (!(req.sample.rate > 0 && req.sample.rate <= 1)) throw new UsageError(`--sample ${req.sample.rate}: must be a share in (0, 1]`);
    const queue = req.queue ?? SHADOW_DEFAULTS.queue;
    if (!Number.isInteger(queue) || queue < 1) throw new UsageError(`--queue ${queue}: must be a positive integer`);
    for (const [flag, specs] of [['--baseline', req.baselines], ['--candidate', req.candidates]] as const) {
      if (specs.some((b) => parseTargetSpec(b).name === PRODUCTION)) throw new UsageError(`${flag}: the name '${PRODUCTION}' stands for the upstream; name the target otherwise`);
    }
    const concurrency = req.concurrency ?? SHADOW_DEFAULTS.concurrency;
    // Production is only looked at (version, identity), never written: a connection-string target.
    const production = await startTarget(parseTargetSpec(`${PRODUCTION}=${req.upstream}`), { log });
    let targets: Awaited<ReturnType<typeof openLiveTargets>> | undefined;
    let recordFile: CaptureWriter | undefined;
    try {
      targets = await openLiveTargets(
        [...req.baselines.map((spec) => ({ spec, role: 'baseline' as const })), ...req.candidates.map((spec) => ({ spec, role: 'candidate' as const }))],
        { opTimeoutMs: req.opTimeoutMs ?? SHADOW_DEFAULTS.opTimeoutMs, maxPoolSize: Math.max(100, concurrency * 2), transport: req.transport ?? SHADOW_DEFAULTS.transport, log },
      );
      const up = parseUpstream(req.upstream);
      // Writes reach the clones only: every clone proved a server other than production and the other clones.
      const guard = await writeGuard(targets.live, [{ uri: req.upstream, ...(up.replicaSet ? { replicaSet: up.replicaSet } : {}) }], req.allowWrites, log);
      if (req.record !== undefined) {
        recordFile = await openCaptureWriter(req.record, {
          ...(req.app ? { app: req.app } : {}),
          source: { kind: 'proxy', host: up.display },
          ...(up.replicaSet ? { replicaSet: up.replicaSet } : {}),
          startedAt: new Date().toISOString(),
          redaction: { mode: 'none' },
          replyMode: 'full',
        });
      }
      return new Mirror(req, production, targets, guard, recordFile, await RunWriter.open(req.out), log);
    } catch (err) {
      await recordFile?.close().catch(() => undefined);
      if (targets) await closeLiveTargets(targets);
      await production.stop();
      throw err;
    }
  }

  private outcome(o: OperationOutcome): void | Promise<void> {
    this.outcomes++;
    // Production as the baseline: its reply is already the baseline's; a recorded copy would only say "no drift".
    const kept = this.req.baselines.length === 0 ? withoutRecorded(o) : o;
    this.live.learn(kept);
    this.live.add(kept);
    return this.writer.writeOutcome(kept);
  }

  /** The live view's JSON; the comparison is recomputed at most once a second. */
  status(listen: readonly string[]): LiveStatus {
    const now = performance.now();
    if (!this.snapshot || now - this.snapshot.at > 1_000) this.snapshot = { at: now, result: this.live.finish() };
    return statusJson({
      state: this.state,
      startedAt: this.startedAt,
      run: this.req.out,
      listen,
      upstream: parseUpstream(this.req.upstream).display,
      production: this.req.baselines.length === 0 ? 'baseline' : 'recorded',
      feed: this.feed.status(),
      outcomes: this.outcomes,
      records: this.engine.counts.records,
      targets: this.gates.map((g) => ({ ...g.status(), role: g.target.info.role })),
      compare: this.snapshot.result,
    });
  }

  /** Every session closed: finishes the operations in flight (what still waits is dropped, counted), writes run.json, closes the targets. */
  async finish(unposted: number): Promise<RunJson> {
    this.state = 'stopping';
    try {
      await this.pipe.finish();
      await this.feed.close(true);
      const result = await this.mirroring;
      clearInterval(this.flushTimer);
      this.governor.stop();
      const s = this.summary(unposted);
      const notes = [...this.guard.notes, ...result.notes, ...shadowNotes(s)];
      for (const t of this.targets.live) if (t.down) notes.push(`target ${t.name}: ${t.down}; its operations while down are marked unavailable`);
      const p = this.production;
      const productionInfo: RunTargetInfo = { name: PRODUCTION, role: 'baseline', uri: p.displayUri, serverVersion: p.serverVersion, product: p.product };
      const req = this.req;
      const run: RunJson = {
        format: RUN_FORMAT,
        version: RUN_FORMAT_VERSION,
        status: 'complete',
        inputs: req.record !== undefined ? [req.record] : [],
        targets: [...(req.baselines.length === 0 ? [productionInfo] : []), ...this.targets.live.map(runTargetInfo)],
        options: {
          mode: 'shadow',
          timing: 'live',
          allowWrites: req.allowWrites,
          sample: req.sample,
          queue: req.queue ?? SHADOW_DEFAULTS.queue,
          maxLagMs: req.maxLagMs ?? SHADOW_DEFAULTS.maxLagMs,
          opTimeoutMs: req.opTimeoutMs ?? SHADOW_DEFAULTS.opTimeoutMs,
          concurrency: req.concurrency ?? SHADOW_DEFAULTS.concurrency,
          transport: req.transport ?? SHADOW_DEFAULTS.transport,
          minIdleCpu: req.minIdleCpu ?? SHADOW_DEFAULTS.minIdleCpu,
          maxMirrorCpu: req.maxMirrorCpu ?? SHADOW_DEFAULTS.maxMirrorCpu,
        },
        counts: result.counts,
        identityCheck: this.guard.record,
        notes,
        shadow: s,
        startedAt: this.startedAt,
        endedAt: new Date().toISOString(),
      };
      await this.writer.finish(result.histograms.values(), run);
      this.state = 'stopped';
      return run;
    } finally {
      clearInterval(this.flushTimer);
      this.governor.stop();
      await this.recordFile?.close().catch((err: Error) => this.log(`shadow: closing the record file failed: ${err.message}`));
      await closeLiveTargets(this.targets);
      await this.production.stop();
    }
  }

  private summary(unposted: number): ShadowRunSummary {
    const f = this.feed.status();
    return {
      upstream: parseUpstream(this.req.upstream).display,
      production: this.req.baselines.length === 0 ? 'baseline' : 'recorded',
      sample: { ...this.req.sample },
      seen: f.seen + unposted,
      mirrored: f.queued,
      dropped: withUnposted(f.dropped, unposted),
      targets: this.gates.map((g) => {
        const s = g.status();
        return { name: s.name, mirrored: s.mirrored, dropped: { ...s.dropped }, lagMs: s.lagMs ? { p50: s.lagMs.p50, p99: s.lagMs.p99 } : null };
      }),
    };
  }
}

function withoutRecorded(o: OperationOutcome): OperationOutcome {
  if (o.recorded === undefined) return o;
  const { recorded: _r, ...rest } = o;
  return rest;
}

/** The shadow figures as run notes, which every report shows. */
function shadowNotes(s: ShadowRunSummary): string[] {
  const drops = Object.entries(s.dropped)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`);
  const lines = [
    `shadow of ${s.upstream}: ${s.seen} operation(s) seen, ${s.mirrored} mirrored${drops.length ? `, not mirrored: ${drops.join(', ')}` : ''}; production's replies are ${s.production === 'baseline' ? 'the baseline' : 'the recorded replies'}`,
  ];
  for (const t of s.targets) {
    const d = Object.entries(t.dropped)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`);
    lines.push(`shadow target ${t.name}: ${t.mirrored} operation(s) sent${d.length ? `, ${d.join(', ')}` : ''}${t.lagMs ? `, lag behind production p50 ${t.lagMs.p50.toFixed(1)} ms, p99 ${t.lagMs.p99.toFixed(1)} ms` : ''}`);
  }
  return lines;
}
