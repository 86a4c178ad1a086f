import type { InputCut } from '../store/footer.ts';
import type { ContentionResult } from '../contention/result.ts';
import type { Cause, CompareResult, DiffClass, LatencyRow, VerdictLevel } from '../compare/types.ts';
import { severityRank } from '../compare/types.ts';
import { NO_APP } from '../compare/compare.ts';
import { newHistogram, type LatencyHistogram } from '../model/histogram.ts';
import type { RunData, RunIssue } from '../model/run/reader.ts';
import type { RunTargetInfo } from '../model/run/files.ts';
import { exitStatus } from './exit-status.ts';
import {
  DISTRIBUTION_PERCENTILES,
  REPORT_FORMAT,
  REPORT_VERSION,
  type AppSection,
  type CaptureQuality,
  type ErrorRow,
  type MatrixApp,
  type MatrixCell,
  type ReportDocument,
  type ShapeDistribution,
  type SummaryRow,
} from './schema.ts';

/** Per app × candidate: operations run on both sides, and skipped ones by reason. */
export type OutcomeTally = Map<string, { replayed: number; skipped: Record<string, number> }>;

/** Busiest shapes per app whose latency distribution is charted and listed. */
export const TOP_SHAPES = 6;

export interface AssembleInput {
  readonly data: RunData;
  readonly compare: CompareResult;
  readonly tally: OutcomeTally;
  readonly errors: ReadonlyMap<string, readonly ErrorRow[]>;
  readonly issues: readonly RunIssue[];
  readonly droppedAtCapture: number | null;
  readonly inputCut?: readonly InputCut[];
  readonly bench?: ContentionResult;
  readonly generatedAt: string;
}

/** Pure: the run's facts and the compare result in, the report document out. */
export function assembleReport(input: AssembleInput): ReportDocument {
  const { data, compare } = input;
  const run = data.run;
  const candidates = versionOrder(run.targets.filter((t) => compare.candidates.includes(t.name)));
  const apps = [...new Set([...[...input.tally.keys()].map((k) => k.split('\u0000')[0]!), ...compare.verdicts.map((v) => v.app)])].sort();
  const summary: SummaryRow[] = [];
  for (const app of apps) {
    for (const c of candidates) {
      const v = compare.verdicts.find((x) => x.app === app && x.candidate === c.name);
      const t = input.tally.get(`${app}\u0000${c.name}`) ?? { replayed: 0, skipped: {} };
      const whole = compare.latency.find((l) => l.app === app && l.candidate === c.name && l.shape === '*');
      const groups = compare.groups.filter((g) => g.app === app && g.candidate === c.name);
      const causes: Partial<Record<Cause, number>> = {};
      for (const g of groups) if (g.cause) causes[g.cause] = (causes[g.cause] ?? 0) + 1;
      summary.push({
        app,
        candidate: c.name,
        version: versionText(c),
        verdict: v?.level ?? 'pass',
        replayed: t.replayed,
        skipped: t.skipped,
        groups: groups.length,
        causes,
        newErrors: v?.counts['new-error'] ?? 0,
        latency: { p50Ratio: whole?.ratios.p50 ?? null, p99Ratio: whole?.ratios.p99 ?? null, pairedRatio: whole?.paired?.ratio ?? null, judgement: whole?.judgement ?? 'none' },
        counts: v?.counts ?? {},
        reasons: v?.reasons ?? [],
      });
    }
  }
  const skipped = run.counts.skipped;
  const quality: CaptureQuality = {
    droppedAtCapture: input.droppedAtCapture,
    ...(input.inputCut?.length ? { inputCut: input.inputCut } : {}),
    unparseable: skipped['unreadable-record'] ?? 0,
    corruptOutcomes: input.issues.length,
    notReplayable: Object.fromEntries(Object.entries(skipped).filter(([k]) => k !== 'unreadable-record')),
    orphanGetMores: (skipped['orphan-getmore'] ?? 0) + (skipped['getmore-of-drained-cursor'] ?? 0),
    records: run.counts.records,
    outcomes: run.counts.outcomes,
    folded: run.counts.folded,
  };
  const runErrors: string[] = [];
  if (run.status === 'failed') runErrors.push('the run failed');
  for (const t of run.targets) if (t.down) runErrors.push(`target ${t.name} went down: ${t.down}`);
  if (input.issues.length > 0) runErrors.push(`${input.issues.length} outcome line(s) unreadable (first: ${input.issues[0]!.file}:${input.issues[0]!.line} ${input.issues[0]!.message})`);
  const exit = exitStatus({ errors: runErrors, verdicts: summary.map((s) => s.verdict), cut: run.status === 'interrupted' });
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    generatedAt: input.generatedAt,
    run: {
      dir: data.dir,
      status: run.status,
      inputs: run.inputs,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      options: run.options,
      notes: run.notes,
      ...(run.shard ? { shard: run.shard } : {}),
    },
    targets: run.targets,
    baseline: compare.baseline,
    candidates: candidates.map((c) => c.name),
    summary,
    matrix: apps.map((app) => matrixOf(app, candidates.map((c) => c.name), compare, data)),
    quality,
    apps: apps.map((app) => sectionOf(app, compare, data, input.errors.get(app) ?? [])),
    state: compare.state,
    ...(run.preflight ? { preflight: run.preflight } : {}),
    serverDifferences: compare.serverDifferences,
    noise: compare.noise,
    ...(input.bench ? { bench: input.bench } : {}),
    exit,
  };
}

function versionText(t: RunTargetInfo): string {
  // product already names the version it reports (`FerretDB v1.24.2 (reports 7.0.42)`).
  return t.product || t.serverVersion || 'unknown';
}

/** Oldest server version first; targets without a version keep their run order at the end. */
export function versionOrder(targets: readonly RunTargetInfo[]): RunTargetInfo[] {
  const key = (v: string | undefined): number[] => (v ? v.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0) : [Infinity]);
  return targets
    .map((t, i) => ({ t, i, k: key(t.serverVersion) }))
    .sort((a, b) => {
      for (let j = 0; j < Math.max(a.k.length, b.k.length); j++) {
        const d = (a.k[j] ?? 0) - (b.k[j] ?? 0);
        if (d !== 0 && !Number.isNaN(d)) return d;
      }
      return a.i - b.i;
    })
    .map((x) => x.t);
}

const LEVEL_RANK: Readonly<Record<VerdictLevel, number>> = { pass: 0, warn: 1, fail: 2 };

function matrixOf(app: string, candidates: readonly string[], compare: CompareResult, data: RunData): MatrixApp {
  const shapes = new Map<string, { shapeText: string; cmd: string }>();
  for (const g of compare.groups) if (g.app === app && !shapes.has(g.shape)) shapes.set(g.shape, { shapeText: g.shapeText, cmd: g.cmd });
  for (const l of compare.latency) {
    if (l.app !== app || l.shape === '*' || shapes.has(l.shape)) continue;
    // A shape with latency rows only: its text and command from the run's histograms.
    const h = data.histograms.find((x) => x.shape === l.shape);
    shapes.set(l.shape, { shapeText: h?.shapeText ?? '', cmd: h?.cmd ?? '' });
  }
  return {
    app,
    shapes: [...shapes.entries()].map(([shape, info]) => {
      const cells: MatrixCell[] = candidates.map((candidate) => {
        let behaviour: DiffClass | 'same' = 'same';
        let level: VerdictLevel = 'pass';
        for (const g of compare.groups) {
          if (g.app !== app || g.candidate !== candidate || g.shape !== shape) continue;
          if (behaviour === 'same' || severityRank(g.class) < severityRank(behaviour)) behaviour = g.class;
        }
        for (const r of compare.verdicts.find((v) => v.app === app && v.candidate === candidate)?.reasons ?? []) {
          if (r.evidence.kind !== 'state' && r.evidence.shape === shape && LEVEL_RANK[r.level] > LEVEL_RANK[level]) level = r.level;
        }
        const l: LatencyRow | undefined = compare.latency.find((x) => x.app === app && x.candidate === candidate && x.shape === shape);
        return { candidate, behaviour, latency: l?.judgement ?? 'none', p99Ratio: l?.ratios.p99 ?? null, pairedRatio: l?.paired?.ratio ?? null, level };
      });
      const changed = cells.find((c) => (c.behaviour !== 'same' && c.behaviour !== 'unavailable') || c.latency === 'regression' || c.latency === 'improvement');
      return { shape, shapeText: info.shapeText, cmd: info.cmd, cells, firstChange: changed?.candidate ?? null };
    }),
  };
}

function sectionOf(app: string, compare: CompareResult, data: RunData, errors: readonly ErrorRow[]): AppSection {
  const groups = compare.groups.filter((g) => g.app === app);
  const verdicts = compare.verdicts.filter((v) => v.app === app);
  const latency = compare.latency.filter((l) => l.app === app);
  const classes: Record<string, Partial<Record<DiffClass, number>>> = {};
  for (const v of verdicts) classes[v.candidate] = v.counts;
  const distributions = distributionsOf(app, data);
  const shapes: Record<string, string> = {};
  for (const h of data.histograms) if (sameApp(h.app, app)) shapes[h.shape] = h.shapeText;
  for (const g of groups) shapes[g.shape] = g.shapeText;
  return { app, verdicts, groups, classes, errors, latency, shapes, distributions };
}

function distributionsOf(app: string, data: RunData): ShapeDistribution[] {
  // Histograms are per target × app × cmd × shape: merge commands of one shape (lossless add).
  const byShape = new Map<string, { shapeText: string; cmd: string; targets: Map<string, LatencyHistogram> }>();
  for (const h of data.histograms) {
    if (!sameApp(h.app, app)) continue;
    let s = byShape.get(h.shape);
    if (!s) byShape.set(h.shape, (s = { shapeText: h.shapeText, cmd: h.cmd, targets: new Map() }));
    let t = s.targets.get(h.target);
    if (!t) s.targets.set(h.target, (t = newHistogram()));
    t.add(h.hist);
  }
  return [...byShape.entries()]
    .map(([shape, s]) => {
      const targets: Record<string, { count: number; points: { p: number; us: number }[] }> = {};
      let count = 0;
      for (const [name, h] of s.targets) {
        count = Math.max(count, h.totalCount);
        targets[name] = { count: h.totalCount, points: DISTRIBUTION_PERCENTILES.map((p) => ({ p, us: h.totalCount ? h.getValueAtPercentile(p) : 0 })) };
      }
      return { shape, shapeText: s.shapeText, cmd: s.cmd, count, targets };
    })
    .sort((a, b) => b.count - a.count || a.shape.localeCompare(b.shape))
    .slice(0, TOP_SHAPES);
}

/** Histograms name an unlabelled app '' where compare says NO_APP. */
function sameApp(histApp: string, app: string): boolean {
  return histApp === app || (histApp === '' && app === NO_APP);
}
