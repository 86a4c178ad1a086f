import type { VerdictLevel } from '../compare/types.ts';
import type { ReportDocument } from '../report/schema.ts';
import { groupId, idOfDiffGroup } from './group-id.ts';
import type { HistoryCell, HistoryGroup } from './history.ts';

const NOT_DIFFERENCES = new Set(['identical', 'equivalent']);
const WORST: readonly VerdictLevel[] = ['pass', 'warn', 'fail'];

/** A cell that did not run, with its one-line error. */
export function errorCell(app: string, candidate: string, error: string): HistoryCell {
  return { app, candidate, version: 'unknown', verdict: 'error', error, groups: [], newErrors: 0, latency: {}, quality: { droppedAtCapture: null, unparseable: 0, corruptOutcomes: 0, records: 0, outcomes: 0 } };
}

/**
 * One app × candidate from the app's report. A capture may label its operations with
 * several app names (or another name than the suite's): the cell takes the worst verdict
 * of them all, and every group is identified under the suite's app name.
 */
export function cellOf(app: string, candidate: string, doc: ReportDocument, report: string): HistoryCell {
  const rows = doc.summary.filter((s) => s.candidate === candidate);
  const verdict = rows.reduce<VerdictLevel>((w, r) => (WORST.indexOf(r.verdict) > WORST.indexOf(w) ? r.verdict : w), 'pass');
  const groups: HistoryGroup[] = [];
  const latency: Record<string, number | null> = {};
  for (const section of doc.apps) {
    for (const g of section.groups) {
      if (g.candidate !== candidate || NOT_DIFFERENCES.has(g.class)) continue;
      groups.push({ id: idOfDiffGroup(app, g), shape: g.shape, label: g.label, class: g.class, ...(g.cause ? { cause: g.cause } : {}), paths: g.paths.map((p) => p.path).sort(), count: g.count });
    }
    for (const row of section.latency) {
      if (row.candidate !== candidate) continue;
      latency[row.shape] = row.ratios.p99;
      // A latency regression that weighs on the verdict is a group too, so that it is new, open or fixed like a difference.
      if (row.level !== 'pass') {
        const label = row.shape === '*' ? `${section.app}: whole app` : (section.shapes[row.shape] ?? row.shape);
        groups.push({ id: groupId({ app, candidate, shape: row.shape, class: 'latency-regression', paths: [] }), shape: row.shape, label, class: 'latency-regression', paths: [], count: 1 });
      }
    }
  }
  const q = doc.quality;
  return {
    app,
    candidate,
    version: rows[0]?.version ?? doc.targets.find((t) => t.name === candidate)?.serverVersion ?? 'unknown',
    verdict,
    groups: dedupe(groups),
    newErrors: rows.reduce((n, r) => n + r.newErrors, 0),
    latency,
    quality: { droppedAtCapture: q.droppedAtCapture, unparseable: q.unparseable, corruptOutcomes: q.corruptOutcomes, records: q.records, outcomes: q.outcomes },
    report,
  };
}

/** Two groups with one id (the same shape under two capture app labels) count once. */
function dedupe(groups: readonly HistoryGroup[]): HistoryGroup[] {
  const byId = new Map<string, HistoryGroup>();
  for (const g of groups) {
    const had = byId.get(g.id);
    byId.set(g.id, had ? { ...had, count: had.count + g.count } : g);
  }
  return [...byId.values()];
}
