import type { StateDifference } from '../model/run/state.ts';

/**
 * The pure half of the state-after-writes comparison: documents of one collection on
 * the baseline and on one candidate, fed as (`_id` key, hash of the BSON bytes) in the
 * order the two servers return them, joined by `_id`.
 *
 * Both sides are read sorted by `_id`, so matching keys normally arrive together and
 * the two pending maps stay near empty; where two versions order mixed `_id` types
 * differently the maps grow but the answer stays right. Past `maxPending` keys the
 * join gives up on naming documents (`overflow`) and the collection is judged by
 * count and hash alone.
 */
export class StateJoin {
  private readonly pendingBase = new Map<string, string>();
  private readonly pendingCand = new Map<string, string>();
  private readonly missing: string[] = [];
  private readonly extra: string[] = [];
  private readonly changed: string[] = [];
  private nMissing = 0;
  private nExtra = 0;
  private nChanged = 0;
  overflow = false;

  constructor(
    private readonly limit = 10,
    private readonly maxPending = 1_000_000,
  ) {}

  baseline(id: string, hash: string): void {
    if (this.overflow) return;
    const other = this.pendingCand.get(id);
    if (other === undefined) this.hold(this.pendingBase, id, hash);
    else {
      this.pendingCand.delete(id);
      if (other !== hash) this.note(this.changed, id, 'changed');
    }
  }

  candidate(id: string, hash: string): void {
    if (this.overflow) return;
    const other = this.pendingBase.get(id);
    if (other === undefined) this.hold(this.pendingCand, id, hash);
    else {
      this.pendingBase.delete(id);
      if (other !== hash) this.note(this.changed, id, 'changed');
    }
  }

  /** Both sides read to the end: what is still pending exists on one side only. */
  finish(): { missing: string[]; extra: string[]; changed: string[]; totals: { missing: number; extra: number; changed: number } } {
    if (!this.overflow) {
      for (const id of this.pendingBase.keys()) this.note(this.missing, id, 'missing');
      for (const id of this.pendingCand.keys()) this.note(this.extra, id, 'extra');
    }
    this.pendingBase.clear();
    this.pendingCand.clear();
    return {
      missing: this.missing,
      extra: this.extra,
      changed: this.changed,
      totals: { missing: this.nMissing, extra: this.nExtra, changed: this.nChanged },
    };
  }

  private hold(map: Map<string, string>, id: string, hash: string): void {
    map.set(id, hash);
    if (this.pendingBase.size + this.pendingCand.size > this.maxPending) {
      this.overflow = true;
      this.pendingBase.clear();
      this.pendingCand.clear();
    }
  }

  private note(list: string[], id: string, kind: 'missing' | 'extra' | 'changed'): void {
    const n = kind === 'missing' ? this.nMissing++ : kind === 'extra' ? this.nExtra++ : this.nChanged++;
    if (n < this.limit) list.push(id);
  }
}

/** Index specs present on one side only (each spec is one canonical text). */
export function indexDifference(baseline: readonly string[], candidate: readonly string[]): { missing: string[]; extra: string[] } {
  const b = new Set(baseline);
  const c = new Set(candidate);
  return { missing: baseline.filter((s) => !c.has(s)), extra: candidate.filter((s) => !b.has(s)) };
}

/**
 * A collection's difference, or undefined when the two sides hold the same: same
 * count, same order-independent hash, same index specs.
 */
export function collectionDifference(
  candidate: string,
  ns: string,
  base: { count: number; hash: string; indexes: readonly string[] },
  cand: { count: number; hash: string; indexes: readonly string[] },
  join: ReturnType<StateJoin['finish']> | undefined,
): StateDifference | undefined {
  const indexes = indexDifference(base.indexes, cand.indexes);
  const sameIndexes = indexes.missing.length === 0 && indexes.extra.length === 0;
  if (base.count === cand.count && base.hash === cand.hash && sameIndexes) return undefined;
  const docs = join !== undefined;
  return {
    candidate,
    ns,
    method: docs ? 'documents' : 'hash',
    baselineCount: base.count,
    candidateCount: cand.count,
    missing: join?.missing ?? [],
    extra: join?.extra ?? [],
    changed: join?.changed ?? [],
    ...(join ? { totals: join.totals } : {}),
    ...(sameIndexes ? {} : { indexes }),
  };
}
