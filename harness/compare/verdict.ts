import type { CompareConfig } from '../config/schema.ts';
import type { AppVerdict, DiffClass, DiffGroup, LatencyRow, StateDifference, VerdictLevel, VerdictReason } from './types.ts';

const LEVEL_RANK: Readonly<Record<VerdictLevel, number>> = { pass: 0, warn: 1, fail: 2 };

/** Most paths and seqs cited per reason; the group holds the rest. */
const CITED = 10;

/**
 * Verdict per app per candidate: the worst level among its reasons. A group's class
 * weighs by `compare.fail`/`compare.warn`, overridden per shape, then per app; latency
 * rows bring their own level (latency.ts); collections stored differently weigh
 * `compare.stateDiffers` for every app of that candidate (state is per database).
 */
export function verdicts(
  config: CompareConfig,
  counts: ReadonlyMap<string, { app: string; candidate: string; counts: Partial<Record<DiffClass, number>> }>,
  groups: readonly DiffGroup[],
  latency: readonly LatencyRow[],
  state: readonly StateDifference[],
): AppVerdict[] {
  const out: AppVerdict[] = [];
  for (const { app, candidate, counts: c } of counts.values()) {
    const reasons: VerdictReason[] = [];
    for (const g of groups) {
      if (g.app !== app || g.candidate !== candidate) continue;
      const level = classLevel(config, app, g.shape, g.class);
      if (level === 'pass') continue;
      reasons.push({
        level,
        message: `${g.count} ${g.cmd} operation${g.count === 1 ? '' : 's'} of shape ${g.shape} on ${g.coll ?? g.db}: ${g.class}${g.paths.length ? ` at ${g.paths.slice(0, 3).map((p) => p.path).join(', ')}` : ''}`,
        evidence: { kind: 'group', shape: g.shape, class: g.class, seqs: g.seqs.slice(0, CITED), paths: g.paths.slice(0, CITED).map((p) => p.path) },
      });
    }
    for (const row of latency) {
      if (row.app !== app || row.candidate !== candidate || row.level === 'pass') continue;
      reasons.push({
        level: row.level,
        message: `latency of ${row.shape === '*' ? 'the app' : `shape ${row.shape}`}: p99 ×${row.ratios.p99?.toFixed(2) ?? '∞'}, p50 ×${row.ratios.p50?.toFixed(2) ?? '∞'} (Mann-Whitney p=${row.test?.p.toExponential(1)})`,
        evidence: { kind: 'latency', shape: row.shape, p99Ratio: row.ratios.p99, p: row.test?.p ?? null },
      });
    }
    if (config.stateDiffers !== 'pass') {
      for (const s of state) {
        if (s.candidate !== candidate) continue;
        const ids = [...s.changed, ...s.missing, ...s.extra];
        reasons.push({
          level: config.stateDiffers,
          message: `${s.ns} stored differently after writes: ${stateCounts(s)}${ids[0] !== undefined ? `, first _id ${ids[0]}` : ''}`,
          evidence: { kind: 'state', ns: s.ns, ids: ids.slice(0, CITED) },
        });
      }
    }
    let level: VerdictLevel = 'pass';
    for (const r of reasons) if (LEVEL_RANK[r.level] > LEVEL_RANK[level]) level = r.level;
    reasons.sort((a, b) => LEVEL_RANK[b.level] - LEVEL_RANK[a.level]);
    out.push({ app, candidate, level, counts: c, reasons });
  }
  return out.sort((a, b) => a.app.localeCompare(b.app) || a.candidate.localeCompare(b.candidate));
}

export function classLevel(config: CompareConfig, app: string, shape: string, cls: DiffClass): VerdictLevel {
  const s = config.shapes[shape];
  const a = config.apps[app];
  const fail = s?.fail ?? a?.fail ?? config.fail;
  const warn = s?.warn ?? a?.warn ?? config.warn;
  if (fail.includes(cls)) return 'fail';
  if (warn.includes(cls)) return 'warn';
  return 'pass';
}

function stateCounts(s: StateDifference): string {
  const n = (k: 'changed' | 'missing' | 'extra'): number => s.totals?.[k] ?? s[k].length;
  const parts = [`${n('changed')} changed`, `${n('missing')} missing`, `${n('extra')} extra`];
  if (s.indexes && s.indexes.missing.length + s.indexes.extra.length > 0) parts.push(`${s.indexes.missing.length + s.indexes.extra.length} index spec(s) differ`);
  if (s.method === 'hash') parts.push(`${s.baselineCount ?? '?'} → ${s.candidateCount ?? '?'} documents, too many to join by _id`);
  return parts.join(', ');
}
