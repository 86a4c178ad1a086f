import type { PairComparison } from './types.ts';
import type { NormalSide } from './normalise.ts';
import type { ResultOrder } from './order.ts';
import { diffSides } from './classify.ts';
import { generalise, matchesPattern } from './path.ts';

/**
 * Three-way comparison. The candidate is compared with the baseline (version
 * differences); the baseline with what production answered at capture time (drift:
 * the clone is not the capture's moment). A candidate difference at a path where the
 * baseline already differs from production may be drift rather than version; one
 * where the baseline matches production is the version's doing.
 *
 * Paths match when equal or one lies under the other (a document missing on one side
 * covers every field inside it), compared in generalised form.
 */
export function attributeCause(
  pair: PairComparison,
  recorded: NormalSide | undefined,
  baseline: NormalSide,
  order: ResultOrder,
  ignorePaths: readonly string[],
): PairComparison {
  if (pair.diffs.length === 0 || pair.class === 'unavailable') return pair;
  if (recorded === undefined) return { ...pair, cause: 'unknown' };
  const drift = diffSides(recorded, baseline, order).filter((d) => !ignorePaths.some((p) => matchesPattern(d.path, p)));
  const driftPaths = drift.map((d) => generalise(d.path));
  let drifted = 0;
  for (const d of pair.diffs) if (overlaps(generalise(d.path), driftPaths)) drifted++;
  const cause = drifted === 0 ? 'version' : drifted === pair.diffs.length ? 'drift' : 'mixed';
  return { ...pair, drift, cause };
}

function overlaps(path: string, others: readonly string[]): boolean {
  for (const o of others) {
    if (o === path || isUnder(path, o) || isUnder(o, path)) return true;
  }
  return false;
}

function isUnder(path: string, parent: string): boolean {
  return path.startsWith(`${parent}.`) || path.startsWith(`${parent}[`);
}

