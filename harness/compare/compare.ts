import type { OperationOutcome } from '../model/run/outcome.ts';
import type { PreflightResult } from '../model/run/files.ts';
import { canonicalCommandName, commandKey } from '../model/command-name.ts';
import { shapeOf } from '../model/shape.ts';
import { ConfigSchema, type CompareConfig } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import type { CompareResult, DiffClass, LatencyRow, PairComparison, StateDifference } from './types.ts';
import { classifyPair, diffSides, type PairFilters } from './classify.ts';
import { PreflightFindings } from './data-differs.ts';
import { Grouper } from './group.ts';
import { judgeLatency, LatencyNoise, LatencySamples } from './latency.ts';
import { NoiseModel } from './noise.ts';
import { DEFAULT_IGNORED, normaliseSide, recordedSide, type NormalSide } from './normalise.ts';
import { orderOf, type ResultOrder } from './order.ts';
import { matchesPattern } from './path.ts';
import { describesServer } from '../model/server-commands.ts';
import { ServerDiffCollector } from './server-diff.ts';
import { attributeCause } from './three-way.ts';
import { verdicts } from './verdict.ts';
import { MASKED_PATHS } from './volatile.ts';

export interface CompareOptions {
  /** Target name of the baseline in the outcomes. */
  readonly baseline: string;
  /** A second baseline (another server of the baseline version, or a second replay): noise is learnt from it. */
  readonly secondBaseline?: string;
  /** Candidate target names; default: every other target named in the outcomes. */
  readonly candidates?: readonly string[];
  /** The `compare` section of the config; default: the schema's defaults. */
  readonly config?: CompareConfig;
  /**
   * The run's pre-flight result (run.json `preflight`): differences on a collection it
   * found differing are attributed to `data-differs`, not to the version (data-differs.ts).
   */
  readonly preflight?: Pick<PreflightResult, 'mismatches'>;
  /** run.json `options.mapDb`: recorded database → target database, to find an operation's pre-flight namespace. */
  readonly mapDb?: Readonly<Record<string, string>>;
}

/** Latency counts only where the operation ran on both sides. */
function ran(status: string): boolean {
  return status === 'ok' || status === 'error';
}

/** Outcomes of apps without a label are reported under this name. */
export const NO_APP = '(unlabelled)';

/**
 * The compare stage over a stream of outcomes, in two passes when noise is learnt:
 *
 *   const c = new Comparator({ baseline: 'a', secondBaseline: 'b' });
 *   for await (const o of readOutcomes(run)) c.learn(o);   // only with secondBaseline
 *   for await (const o of readOutcomes(run)) c.add(o);
 *   c.addState(state.differences);                           // state.json, when writes were replayed
 *   const result = c.finish();
 *
 * Memory holds groups (bounded evidence), counts and latency samples, not outcomes.
 * Pure: no I/O, no clock.
 */
export class Comparator {
  private readonly config: CompareConfig;
  private readonly noise = new NoiseModel();
  private readonly grouper: Grouper;
  private readonly counts = new Map<string, { app: string; candidate: string; counts: Partial<Record<DiffClass, number>> }>();
  private readonly latency = new Map<string, { candidate: string; app: string; shape: string; samples: LatencySamples }>();
  /** Baseline vs second baseline latency ratios: the noise floor of each latency row. */
  private readonly latencyNoise: LatencyNoise;
  private readonly filterCache = new Map<string, { ignored: ReadonlySet<string>; ignorePaths: readonly string[] }>();
  private readonly state: StateDifference[] = [];
  private readonly candidatesSeen = new Set<string>();
  private readonly preflight: PreflightFindings;
  private readonly serverDiffs = new ServerDiffCollector();
  /** Shape text per shape id, computed once per shape (labels of latency reasons). */
  private readonly shapeTexts = new Map<string, string>();
  /**
   * Order rules and server description per shape: both follow from the command's
   * structure (names, sort keys, stages, update operators), which the shape keeps, so
   * they are read once per shape instead of walking every command (measured: 20 % of
   * the 1 KiB pair's time).
   */
  private readonly rulesByShape = new Map<string, { order: ResultOrder; server: boolean }>();
  /** Per app, the namespaces its operations touched (for state differences). */
  private readonly appNamespaces = new Map<string, Set<string>>();
  /** Per shape, the namespace of its first operation (latency told against pre-flight). */
  private readonly shapeNamespaces = new Map<string, { db: string; coll: string }>();
  private operations = 0;

  constructor(private readonly options: CompareOptions) {
    this.config = options.config ?? ConfigSchema.parse({}).compare;
    this.latencyNoise = new LatencyNoise(this.config.latency.confidence);
    this.grouper = new Grouper(this.config.maxSeqsPerGroup);
    this.preflight = new PreflightFindings(options.preflight, options.baseline, options.mapDb);
    if (options.secondBaseline !== undefined && options.secondBaseline === options.baseline) {
      throw new UsageError(`the second baseline must differ from the baseline (both are ${options.baseline})`);
    }
  }

  /** Pass 1 (only with a second baseline): learn per-shape noise from baseline vs second baseline. */
  learn(o: OperationOutcome): void {
    const second = this.options.secondBaseline;
    if (second === undefined) return;
    const a = o.targets[this.options.baseline];
    const b = o.targets[second];
    if (!a || !b) return;
    // Every operation timed on both baselines, server descriptions too: their latency is judged like any other.
    if (Number.isFinite(a.latencyUs) && Number.isFinite(b.latencyUs) && ran(a.status) && ran(b.status)) this.latencyNoise.add(o.app ?? NO_APP, o.shape, a.latencyUs!, b.latencyUs!);
    // Server descriptions are judged by success alone: no noise to learn there.
    const { order: learnOrder, server: learnServer } = this.rulesFor(o);
    if (learnServer) return;
    const f = this.filters(o);
    const diffs = diffSides(normaliseSide(a, o.cmd, f.ignored), normaliseSide(b, o.cmd, f.ignored), learnOrder);
    this.noise.learn(
      o.shape,
      diffs.filter((d) => !f.ignorePaths.some((p) => matchesPattern(d.path, p))),
    );
  }

  /** Pass 2: classify the operation for every candidate. */
  add(o: OperationOutcome): void {
    const base = o.targets[this.options.baseline];
    if (!base) return;
    this.operations++;
    const app = o.app ?? NO_APP;
    const f = this.filters(o);
    const { order, server } = this.rulesFor(o);
    const a = normaliseSide(base, o.cmd, f.ignored);
    const pairFilters: PairFilters = { ignorePaths: f.ignorePaths, noisePaths: this.noise.pathsFor(o.shape) };
    if (!this.shapeTexts.has(o.shape)) this.shapeTexts.set(o.shape, shapeOf(o.command).text);
    if (o.coll !== undefined) {
      let touched = this.appNamespaces.get(app);
      if (!touched) this.appNamespaces.set(app, (touched = new Set()));
      touched.add(`${this.options.mapDb?.[o.db] ?? o.db}.${o.coll}`);
      if (!this.shapeNamespaces.has(o.shape)) this.shapeNamespaces.set(o.shape, { db: o.db, coll: o.coll });
    }
    let recorded: ReturnType<typeof recordedSide> | null = null;
    for (const candidate of this.candidateNames(o)) {
      const side = o.targets[candidate];
      if (!side) continue;
      this.candidatesSeen.add(candidate);
      // Skipped on both sides by design (handshakes, writes without --allow-writes, records
      // marked not replayable): nothing was compared and nothing went wrong. The run counts
      // them by reason; they are neither a difference group nor a reason for a verdict.
      if (base.status === 'skipped' && side.status === 'skipped') continue;
      const b = normaliseSide(side, o.cmd, f.ignored);
      let pair: PairComparison;
      if (server && ran(base.status) && base.status === side.status) {
        pair = this.serverPair(o, candidate, a, b, order, f.ignorePaths);
      } else {
        pair = classifyPair(o.seq, a, b, order, pairFilters);
        if (pair.diffs.length > 0 && pair.class !== 'unavailable') {
          const finding = this.preflight.forOperation(o.db, o.coll, candidate);
          if (finding !== undefined) pair = { ...pair, cause: 'data-differs', preflight: finding };
          else {
            if (recorded === null) recorded = recordedSide(o.recorded, o.cmd, f.ignored);
            pair = attributeCause(pair, recorded, a, order, f.ignorePaths);
          }
        }
      }
      const ck = `${app}\u0000${candidate}`;
      let c = this.counts.get(ck);
      if (!c) this.counts.set(ck, (c = { app, candidate, counts: {} }));
      c.counts[pair.class] = (c.counts[pair.class] ?? 0) + 1;
      if (pair.class !== 'identical' && pair.class !== 'equivalent') this.grouper.add(candidate, app, o, this.options.baseline, pair, { a, b });
      if (Number.isFinite(base.latencyUs) && Number.isFinite(side.latencyUs) && ran(base.status) && ran(side.status)) {
        this.sample(candidate, app, o.shape, base.latencyUs!, side.latencyUs!);
        this.sample(candidate, app, '*', base.latencyUs!, side.latencyUs!);
      }
    }
  }

  /** State-after-writes differences (state.json, read back by replay) join the candidate's verdicts. */
  addState(diffs: readonly StateDifference[]): void {
    this.state.push(...diffs);
  }

  finish(): CompareResult {
    const groups = this.grouper.finish();
    const latency: LatencyRow[] = [...this.latency.values()]
      .map((l) => judgeLatency(l.candidate, l.app, l.shape, l.samples, this.config.latency, this.latencyNoise.interval(l.app, l.shape)))
      .sort((x, y) => x.app.localeCompare(y.app) || x.candidate.localeCompare(y.candidate) || (x.shape === '*' ? -1 : y.shape === '*' ? 1 : x.shape.localeCompare(y.shape)));
    const candidates = this.options.candidates ?? [...this.candidatesSeen].sort();
    return {
      baseline: this.options.baseline,
      ...(this.options.secondBaseline !== undefined ? { secondBaseline: this.options.secondBaseline } : {}),
      candidates,
      operations: this.operations,
      groups,
      noise: this.noise.summary(),
      latency,
      state: [...this.state],
      serverDifferences: this.serverDiffs.finish(),
      verdicts: verdicts(this.config, this.counts, groups, latency, this.state, { shapeTexts: this.shapeTexts, preflight: this.preflight, appNamespaces: this.appNamespaces, shapeNamespaces: this.shapeNamespaces }),
    };
  }

  /**
   * A server-describing command that succeeded (or failed) on both sides: its reply
   * describes two servers, so it is no app difference (`identical`, or `equivalent` when
   * the replies differ); the differences go to the server differences, masked and
   * config-ignored paths left out. A success on one side only is judged like any other
   * operation (classifyPair): a new error is still a finding.
   */
  private serverPair(o: OperationOutcome, candidate: string, a: NormalSide, b: NormalSide, order: ResultOrder, ignorePaths: readonly string[]): PairComparison {
    const raw = diffSides(a, b, order);
    if (raw.length === 0) return { seq: o.seq, class: 'identical', diffs: [], ignored: [], noise: [] };
    const shown = raw.filter((d) => !ignorePaths.some((p) => matchesPattern(d.path, p)));
    if (shown.length > 0) this.serverDiffs.add(candidate, serverCommandName(o), shown);
    return { seq: o.seq, class: 'equivalent', diffs: [], ignored: raw, noise: [] };
  }

  private candidateNames(o: OperationOutcome): readonly string[] {
    if (this.options.candidates) return this.options.candidates;
    return Object.keys(o.targets).filter((t) => t !== this.options.baseline && t !== this.options.secondBaseline);
  }

  private sample(candidate: string, app: string, shape: string, b: number, c: number): void {
    const k = `${candidate}\u0000${app}\u0000${shape}`;
    let l = this.latency.get(k);
    if (!l) this.latency.set(k, (l = { candidate, app, shape, samples: new LatencySamples() }));
    l.samples.add(b, c);
  }

  private rulesFor(o: OperationOutcome): { order: ResultOrder; server: boolean } {
    let r = this.rulesByShape.get(o.shape);
    if (r === undefined) this.rulesByShape.set(o.shape, (r = { order: orderOf(o.command, o.cmd), server: describesServer(o.cmd, o.command) }));
    return r;
  }

  /** Volatile fields and ignored paths for an operation: built-ins, config, app, shape. */
  private filters(o: OperationOutcome): { ignored: ReadonlySet<string>; ignorePaths: readonly string[] } {
    const key = `${o.app ?? ''}\u0000${o.shape}`;
    let f = this.filterCache.get(key);
    if (!f) {
      const a = o.app !== undefined ? this.config.apps[o.app] : undefined;
      const s = this.config.shapes[o.shape];
      const extra = [...this.config.volatileFields, ...(a?.volatileFields ?? []), ...(s?.volatileFields ?? [])];
      f = {
        ignored: extra.length ? new Set([...DEFAULT_IGNORED, ...extra]) : DEFAULT_IGNORED,
        ignorePaths: [...MASKED_PATHS, ...this.config.ignorePaths, ...(a?.ignorePaths ?? []), ...(s?.ignorePaths ?? [])],
      };
      this.filterCache.set(key, f);
    }
    return f;
  }
}

/** `buildInfo`, or `aggregate $collStats` for a pipeline that opens with a server-describing stage. */
function serverCommandName(o: OperationOutcome): string {
  if (commandKey(o.cmd) !== 'aggregate') return canonicalCommandName(o.cmd);
  const first = Array.isArray(o.command.pipeline) ? (o.command.pipeline as unknown[])[0] : undefined;
  const stage = first !== null && typeof first === 'object' ? Object.keys(first)[0] : undefined;
  return stage ? `aggregate ${stage}` : o.cmd;
}

/** Both passes over an in-memory list (tests, small runs). */
export function compareOutcomes(outcomes: readonly OperationOutcome[], options: CompareOptions, state: readonly StateDifference[] = []): CompareResult {
  const c = new Comparator(options);
  if (options.secondBaseline !== undefined) for (const o of outcomes) c.learn(o);
  for (const o of outcomes) c.add(o);
  c.addState(state);
  return c.finish();
}
