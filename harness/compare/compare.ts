import type { OperationOutcome } from '../model/run/outcome.ts';
import { ConfigSchema, type CompareConfig } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import type { CompareResult, DiffClass, LatencyRow, StateDifference } from './types.ts';
import { classifyPair, diffSides, type PairFilters } from './classify.ts';
import { Grouper } from './group.ts';
import { judgeLatency, LatencySamples } from './latency.ts';
import { NoiseModel } from './noise.ts';
import { DEFAULT_IGNORED, normaliseSide, recordedSide } from './normalise.ts';
import { orderOf } from './order.ts';
import { matchesPattern } from './path.ts';
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
  private readonly filterCache = new Map<string, { ignored: ReadonlySet<string>; ignorePaths: readonly string[] }>();
  private readonly state: StateDifference[] = [];
  private readonly candidatesSeen = new Set<string>();
  private operations = 0;

  constructor(private readonly options: CompareOptions) {
    this.config = options.config ?? ConfigSchema.parse({}).compare;
    this.grouper = new Grouper(this.config.maxSeqsPerGroup);
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
    const f = this.filters(o);
    const diffs = diffSides(normaliseSide(a, o.cmd, f.ignored), normaliseSide(b, o.cmd, f.ignored), orderOf(o.command));
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
    const order = orderOf(o.command);
    const a = normaliseSide(base, o.cmd, f.ignored);
    const pairFilters: PairFilters = { ignorePaths: f.ignorePaths, noisePaths: this.noise.pathsFor(o.shape) };
    let recorded: ReturnType<typeof recordedSide> | null = null;
    for (const candidate of this.candidateNames(o)) {
      const side = o.targets[candidate];
      if (!side) continue;
      this.candidatesSeen.add(candidate);
      // Skipped on both sides by design (handshakes, writes without --allow-writes, records
      // marked not replayable): nothing was compared and nothing went wrong. The run counts
      // them by reason; they are neither a difference group nor a reason for a verdict.
      if (base.status === 'skipped' && side.status === 'skipped') continue;
      let pair = classifyPair(o.seq, a, normaliseSide(side, o.cmd, f.ignored), order, pairFilters);
      if (pair.diffs.length > 0) {
        if (recorded === null) recorded = recordedSide(o.recorded, o.cmd, f.ignored);
        pair = attributeCause(pair, recorded, a, order, f.ignorePaths);
      }
      const ck = `${app}\u0000${candidate}`;
      let c = this.counts.get(ck);
      if (!c) this.counts.set(ck, (c = { app, candidate, counts: {} }));
      c.counts[pair.class] = (c.counts[pair.class] ?? 0) + 1;
      if (pair.class !== 'identical' && pair.class !== 'equivalent') this.grouper.add(candidate, app, o, this.options.baseline, pair);
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
      .map((l) => judgeLatency(l.candidate, l.app, l.shape, l.samples, this.config.latency))
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
      verdicts: verdicts(this.config, this.counts, groups, latency, this.state),
    };
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

/** Both passes over an in-memory list (tests, small runs). */
export function compareOutcomes(outcomes: readonly OperationOutcome[], options: CompareOptions, state: readonly StateDifference[] = []): CompareResult {
  const c = new Comparator(options);
  if (options.secondBaseline !== undefined) for (const o of outcomes) c.learn(o);
  for (const o of outcomes) c.add(o);
  c.addState(state);
  return c.finish();
}
