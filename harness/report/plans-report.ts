import type { PlanOutcome } from '../plans/diff.ts';
import { readPlansFile, type PlanShapeResult } from '../plans/result.ts';
import { walkPlan } from '../plans/tree.ts';
import type { ReportPlanShape } from './plans-types.ts';
import type { VerdictLevel } from '../compare/types.ts';
import { withVerdicts } from './exit-status.ts';
import type { ReportDocument } from './schema.ts';

/**
 * The report's Plans section: the run's plans.json (written by `mongo-compat plans`),
 * when there is one, as the `plans` array of the report document. Each explained
 * operation keeps its trees per target and its changes per candidate, plus the first
 * candidate (oldest version first, the version matrix's order) whose plan changed at
 * level warn or fail.
 */
export async function withPlans(runDir: string, doc: ReportDocument): Promise<ReportDocument> {
  const file = await readPlansFile(runDir);
  if (!file) return doc;
  const plans = file.shapes.map((s) => ({ ...s, firstChange: doc.candidates.find((c) => s.level[c] === 'fail' || s.level[c] === 'warn') ?? null }));
  return planVerdicts({ ...doc, plans, plansInfo: { verbosity: file.verbosity, timeLimitMs: file.timeLimitMs, generatedAt: file.generatedAt } });
}

const RANK: Readonly<Record<VerdictLevel, number>> = { pass: 0, warn: 1, fail: 2 };

/**
 * Plan changes at warn or fail weigh like any other difference (their levels are
 * `plans.levels`; an index scan that became a collection scan fails by default): each
 * becomes a reason of its app × candidate verdict, marks the shape's cell in the version
 * matrix (and its first change), and the exit status follows. Pure.
 */
export function planVerdicts(doc: ReportDocument): ReportDocument {
  const plans = doc.plans ?? [];
  const changed = (s: ReportPlanShape, c: string): readonly string[] => (s.changes[c] ?? []).filter((x) => x.level === 'warn' || x.level === 'fail').map((x) => x.kind);
  const summary = doc.summary.map((row) => {
    const reasons = [...row.reasons];
    let verdict = row.verdict;
    for (const s of plans) {
      if (s.app !== undefined && s.app !== row.app) continue;
      const level = s.level[row.candidate];
      if (level !== 'warn' && level !== 'fail') continue;
      const kinds = changed(s, row.candidate);
      const words = (s.changes[row.candidate] ?? []).filter((x) => x.level === level).map((x) => x.message);
      reasons.push({ level, message: `plan of ${s.cmd} ${s.coll ?? s.db} (${s.shape}): ${words.join('; ')}`, evidence: { kind: 'plan', shape: s.shape, changes: kinds } });
      if (RANK[level] > RANK[verdict]) verdict = level;
    }
    reasons.sort((a, b) => RANK[b.level] - RANK[a.level]);
    return { ...row, verdict, reasons };
  });
  const matrix = doc.matrix.map((m) => ({
    ...m,
    shapes: m.shapes.map((shape) => {
      const s = plans.find((p) => p.shape === shape.shape && (p.app === undefined || p.app === m.app));
      if (!s) return shape;
      const cells = shape.cells.map((cell) => {
        const kinds = changed(s, cell.candidate);
        if (kinds.length === 0) return cell;
        const level = s.level[cell.candidate] as VerdictLevel;
        return { ...cell, plan: kinds, level: RANK[level] > RANK[cell.level] ? level : cell.level };
      });
      const order = (c: string | null): number => (c === null ? Infinity : doc.candidates.indexOf(c));
      const firstChange = order(s.firstChange) < order(shape.firstChange) ? s.firstChange : shape.firstChange;
      return { ...shape, cells, firstChange };
    }),
  }));
  return { ...doc, summary, matrix, exit: withVerdicts(doc.exit, summary.map((r) => r.verdict)) };
}

/** The paths of the nodes to mark in `target`'s tree: what any change names on that side. */
export function markedNodes(s: PlanShapeResult, target: string, baseline: string): ReadonlySet<string> {
  const out = new Set<string>();
  for (const [candidate, changes] of Object.entries(s.changes)) {
    for (const c of changes) {
      if (c.level === 'info') continue;
      if (target === baseline) for (const p of c.baselineNodes) out.add(p);
      if (target === candidate) for (const p of c.candidateNodes) out.add(p);
    }
  }
  return out;
}

/** Markdown and HTML show shapes whose plan changed first, then the rest. */
export function plansInOrder(plans: readonly ReportPlanShape[]): ReportPlanShape[] {
  const rank = (s: ReportPlanShape): number => Math.max(0, ...Object.values(s.level).map((l) => (l === 'fail' ? 3 : l === 'warn' ? 2 : l === 'info' ? 1 : 0)));
  return [...plans].sort((a, b) => rank(b) - rank(a) || a.seq - b.seq);
}

export function planTitle(s: ReportPlanShape): string {
  return `${s.cmd} ${s.coll ?? s.db}${s.app ? ` (${s.app})` : ''} [${s.shape}]`;
}

/** What a table cell says of one target's plan: its scans (`IXSCAN a_1`, `COLLSCAN`, `EOF`), or why there is none. */
export function scanSummary(o: PlanOutcome | undefined): string {
  if (!o) return '—';
  if (!o.ok) return o.error.timedOut ? 'timed out' : 'explain failed';
  const scans = [...walkPlan(o.plan.root)].map((x) => x.node).filter((n) => n.kind === 'INDEX_SCAN' || n.kind === 'COLLSCAN' || n.kind === 'EOF');
  return scans.map((n) => (n.kind === 'INDEX_SCAN' ? `IXSCAN ${n.index ?? ''}`.trim() : n.kind)).join(', ') || o.plan.root.kind;
}

/** `; nReturned 1, keysExamined 1, docsExamined 1, 0 ms`, or nothing without executionStats. */
export function metricsText(o: PlanOutcome): string {
  if (!o.ok || !o.plan.metrics) return '';
  const m = o.plan.metrics;
  const parts = [
    m.nReturned !== undefined ? `nReturned ${m.nReturned}` : '',
    m.keysExamined !== undefined ? `keysExamined ${m.keysExamined}` : '',
    m.docsExamined !== undefined ? `docsExamined ${m.docsExamined}` : '',
    m.executionTimeMillis !== undefined ? `${m.executionTimeMillis} ms` : '',
  ].filter(Boolean);
  return parts.length ? `; ${parts.join(', ')}` : '';
}
