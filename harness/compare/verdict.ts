import type { CompareConfig } from '../config/schema.ts';
import type { PreflightFindings } from './data-differs.ts';
import { latencyText } from './latency.ts';
import { shapeLabel } from './shape-label.ts';
import { CAUSES, type AppVerdict, type DiffClass, type DiffGroup, type LatencyRow, type StateDifference, type VerdictLevel, type VerdictReason } from './types.ts';

const LEVEL_RANK: Readonly<Record<VerdictLevel, number>> = { pass: 0, warn: 1, fail: 2 };

/** Most paths and seqs cited per reason; the group holds the rest. */
const CITED = 10;

/** What the verdict needs besides groups and latency: shape texts for labels, pre-flight findings. */
export interface VerdictContext {
  /** Shape text by shape id, for the labels of latency reasons. */
  readonly shapeTexts: ReadonlyMap<string, string>;
  readonly preflight: PreflightFindings;
  /**
   * Per app, the namespaces (`db.coll`, in the replayed database's name) its operations
   * touched: a collection stored differently weighs only on the apps that read or wrote
   * it, not on every app of the candidate.
   */
  readonly appNamespaces?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Per shape, the database (as recorded) and collection of its first operation. */
  readonly shapeNamespaces?: ReadonlyMap<string, { readonly db: string; readonly coll: string }>;
}

/**
 * Verdict per app per candidate: the worst level among its reasons. A group's class
 * weighs by `compare.fail`/`compare.warn`, overridden per shape, then per app; latency
 * rows bring their own level (latency.ts); collections stored differently weigh
 * `compare.stateDiffers` for every app of that candidate that touched them.
 *
 * A difference on a collection pre-flight found differing before replay (cause
 * `data-differs`) weighs at most `compare.dataDiffers` (warn by default): the clones
 * did not start alike, so the difference cannot be laid at the version's door, and a
 * FAIL would claim a regression nobody can reproduce on identical data. It still warns:
 * the clone's data needs fixing before the run can say anything about that collection,
 * and the reason says so plainly. The same holds for state differences on such a
 * collection. Set `compare.dataDiffers: fail` to weigh them as any other difference.
 */
export function verdicts(
  config: CompareConfig,
  counts: ReadonlyMap<string, { app: string; candidate: string; counts: Partial<Record<DiffClass, number>> }>,
  groups: readonly DiffGroup[],
  latency: readonly LatencyRow[],
  state: readonly StateDifference[],
  context: VerdictContext,
): AppVerdict[] {
  const out: AppVerdict[] = [];
  for (const { app, candidate, counts: c } of counts.values()) {
    const reasons: VerdictReason[] = [];
    for (const g of groups) {
      if (g.app !== app || g.candidate !== candidate) continue;
      const data = g.cause === 'data-differs';
      const level = data ? atMost(classLevel(config, app, g.shape, g.class), config.dataDiffers) : classLevel(config, app, g.shape, g.class);
      if (level === 'pass') continue;
      reasons.push({
        level,
        message: groupMessage(g),
        evidence: {
          kind: 'group',
          shape: g.shape,
          class: g.class,
          seqs: g.seqs.slice(0, CITED),
          paths: g.paths.slice(0, CITED).map((p) => p.path),
          ...(g.cause ? { cause: g.cause } : {}),
          ...(g.preflight !== undefined ? { preflight: g.preflight } : {}),
        },
      });
    }
    for (const row of latency) {
      if (row.app !== app || row.candidate !== candidate || row.level === 'pass') continue;
      // A shape reading a collection that started differently (more documents, other
      // values) may be slower for that alone: told as the data's, weighed as data-differs.
      const ns = row.shape === '*' ? undefined : context.shapeNamespaces?.get(row.shape);
      const finding = ns ? context.preflight.forOperation(ns.db, ns.coll, candidate) : undefined;
      const level = finding !== undefined ? atMost(row.level, config.dataDiffers) : row.level;
      if (level === 'pass') continue;
      reasons.push({
        level,
        message: `latency of ${row.shape === '*' ? 'the app' : shapeLabel(row.shape, context.shapeTexts.get(row.shape))}: ${latencyText(row)}${finding !== undefined ? `; ${dataDiffersText(finding)}` : ''}`,
        evidence: {
          kind: 'latency',
          shape: row.shape,
          p99Ratio: row.ratios.p99,
          ratio: row.paired?.ratio ?? null,
          lower: row.paired?.lower ?? null,
          upper: row.paired?.upper ?? null,
          ...(finding !== undefined ? { preflight: finding } : {}),
        },
      });
    }
    const touched = context.appNamespaces?.get(app);
    for (const s of state) {
      if (s.candidate !== candidate) continue;
      if (touched !== undefined && !touched.has(s.ns)) continue;
      const finding = context.preflight.forNamespace(s.ns, candidate);
      const level = finding !== undefined ? atMost(config.stateDiffers, config.dataDiffers) : config.stateDiffers;
      if (level === 'pass') continue;
      const ids = [...s.changed, ...s.missing, ...s.extra];
      reasons.push({
        level,
        message: `${s.ns} stored differently after writes: ${stateCounts(s)}${ids[0] !== undefined ? `, first _id ${ids[0]}` : ''}${finding !== undefined ? `; ${dataDiffersText(finding)}` : ''}`,
        evidence: { kind: 'state', ns: s.ns, ids: ids.slice(0, CITED), ...(finding !== undefined ? { preflight: finding } : {}) },
      });
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

/** The plain words a reason uses for a pre-flight finding. */
export function dataDiffersText(finding: string): string {
  return `${CAUSES['data-differs']}, not a version difference (pre-flight: ${finding})`;
}

/** `3 × find companies {_id: int} (…) on companies: result-differs at docs[].tier (first differing _id 7); cause: version`. */
function groupMessage(g: DiffGroup): string {
  const at = g.paths.length ? ` at ${g.paths.slice(0, 3).map((p) => p.path).join(', ')}` : '';
  const ids = g.example.ids?.length ? ` (first differing _id ${g.example.ids.slice(0, 3).join(', ')})` : '';
  // `unknown` (nothing recorded to judge by) would repeat on every line and say nothing.
  const cause = g.cause === 'data-differs' && g.preflight !== undefined ? `; ${dataDiffersText(g.preflight)}` : g.cause && g.cause !== 'unknown' ? `; cause: ${CAUSES[g.cause]}` : '';
  return `${g.count} × ${g.label} on ${g.coll ?? g.db}: ${g.class}${at}${ids}${cause}`;
}

function atMost(level: VerdictLevel, cap: VerdictLevel): VerdictLevel {
  return LEVEL_RANK[level] <= LEVEL_RANK[cap] ? level : cap;
}

function stateCounts(s: StateDifference): string {
  const n = (k: 'changed' | 'missing' | 'extra'): number => s.totals?.[k] ?? s[k].length;
  const parts = [`${n('changed')} changed`, `${n('missing')} missing`, `${n('extra')} extra`];
  if (s.indexes && s.indexes.missing.length + s.indexes.extra.length > 0) parts.push(`${s.indexes.missing.length + s.indexes.extra.length} index spec(s) differ`);
  if (s.method === 'hash') parts.push(`${s.baselineCount ?? '?'} → ${s.candidateCount ?? '?'} documents, too many to join by _id`);
  return parts.join(', ');
}
