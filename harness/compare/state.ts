import type { StateDifference } from './types.ts';

/**
 * State after writes, compared. Two writes may reply alike and store differently
 * (an update operator that changed semantics, a numeric type widened on store), so
 * after replaying writes the collections of baseline and candidate are compared:
 * by `dbHash` where both servers have it (equal hashes: equal collections), else by a
 * hash per document keyed by `_id`, as migration verifiers do. state-fetch.ts gathers
 * these with the driver; this module only compares.
 */
export interface CollectionState {
  /** `db.collection`. */
  readonly ns: string;
  /** The collection's md5 from `dbHash`, when the server has the command. */
  readonly dbHash?: string;
  readonly count?: number;
  /** `_id` (canonical EJSON) → hash of the document's BSON bytes. */
  readonly docs?: ReadonlyMap<string, string>;
}

export function compareState(
  candidate: string,
  baseline: readonly CollectionState[],
  cand: readonly CollectionState[],
  sampleLimit = 10,
): StateDifference[] {
  const byNs = new Map(cand.map((c) => [c.ns, c]));
  const out: StateDifference[] = [];
  const seen = new Set<string>();
  for (const b of baseline) {
    seen.add(b.ns);
    const c = byNs.get(b.ns);
    const diff = compareCollection(candidate, b, c ?? { ns: b.ns, count: 0, docs: new Map() }, sampleLimit);
    if (diff) out.push(diff);
  }
  for (const c of cand) {
    if (seen.has(c.ns)) continue;
    const diff = compareCollection(candidate, { ns: c.ns, count: 0, docs: new Map() }, c, sampleLimit);
    if (diff) out.push(diff);
  }
  return out.sort((x, y) => x.ns.localeCompare(y.ns));
}

function compareCollection(candidate: string, b: CollectionState, c: CollectionState, sampleLimit: number): StateDifference | undefined {
  if (b.dbHash !== undefined && c.dbHash !== undefined && b.dbHash === c.dbHash) return undefined;
  if (b.docs === undefined || c.docs === undefined) {
    if (b.dbHash === undefined || c.dbHash === undefined) return undefined; // nothing to compare by
    return { candidate, ns: b.ns, method: 'dbHash', baselineCount: b.count, candidateCount: c.count, missing: [], extra: [], changed: [] };
  }
  const missing: string[] = [];
  const extra: string[] = [];
  const changed: string[] = [];
  let nMissing = 0;
  let nChanged = 0;
  for (const [id, hash] of b.docs) {
    const other = c.docs.get(id);
    if (other === undefined) {
      if (nMissing++ < sampleLimit) missing.push(id);
    } else if (other !== hash && nChanged++ < sampleLimit) changed.push(id);
  }
  let nExtra = 0;
  for (const id of c.docs.keys()) if (!b.docs.has(id) && nExtra++ < sampleLimit) extra.push(id);
  if (missing.length + extra.length + changed.length === 0) return undefined;
  return { candidate, ns: b.ns, method: 'documents', baselineCount: b.count ?? b.docs.size, candidateCount: c.count ?? c.docs.size, missing, extra, changed };
}
