import type { DiffClass, DiffEntry, DiffKind, PairComparison } from './types.ts';
import type { NormalSide } from './normalise.ts';
import type { ResultOrder } from './order.ts';
import { diffResults, diffValues, exactlyEqual } from './diff.ts';
import { matchesPattern } from './path.ts';
import { isNoise } from './noise.ts';
import { display } from './value.ts';
import { VALUE_MASKED_PATHS } from './volatile.ts';

/** Which differences do not count: masked/config-ignored paths, and noise learnt for the shape. */
export interface PairFilters {
  /** Generalised path patterns (volatile.ts MASKED_PATHS plus config ignorePaths). */
  readonly ignorePaths: readonly string[];
  /** Generalised paths learnt as noise for this shape (noise.ts). */
  readonly noisePaths?: ReadonlySet<string>;
}

/** Every raw difference between two normalised sides (nothing filtered yet). */
export function diffSides(a: NormalSide, b: NormalSide, order: ResultOrder): DiffEntry[] {
  const out: DiffEntry[] = [];
  if (a.status !== b.status) {
    out.push({ path: 'status', kind: 'value', baseline: describeStatus(a), candidate: describeStatus(b) });
    return out;
  }
  if (a.status === 'error') {
    const ea = a.error ?? {};
    const eb = b.error ?? {};
    // Number(): a code read from Extended JSON may be an Int32 rather than a number.
    if (Number(ea.code) !== Number(eb.code) && !(ea.code === undefined && eb.code === undefined)) {
      out.push({ path: 'error.code', kind: 'value', baseline: String(ea.code), candidate: String(eb.code) });
    }
    if (ea.codeName !== eb.codeName) out.push({ path: 'error.codeName', kind: 'value', baseline: String(ea.codeName), candidate: String(eb.codeName) });
    if (ea.message !== eb.message) out.push({ path: 'error.message', kind: 'value', baseline: JSON.stringify(ea.message), candidate: JSON.stringify(eb.message) });
    return out;
  }
  if (a.status !== 'ok') return out;
  if (a.reply !== undefined && b.reply !== undefined) {
    if (!exactlyEqual(a.reply, b.reply)) diffValues(a.reply, b.reply, 'reply', out, order.arrays);
  }
  else if (a.digest !== undefined && b.digest !== undefined && a.reply === undefined && b.reply === undefined) {
    // Only digests were kept: equal or not, no paths to show.
    if (a.digest !== b.digest) out.push({ path: 'digest', kind: 'value', baseline: a.digest, candidate: b.digest });
    return out;
  } else if ((a.reply === undefined) !== (b.reply === undefined)) {
    out.push({ path: 'reply', kind: a.reply === undefined ? 'extra' : 'missing', baseline: display(a.reply), candidate: display(b.reply) });
  }
  if (a.docs !== undefined || b.docs !== undefined) diffResults(a.docs ?? [], b.docs ?? [], order, 'docs', out);
  return out;
}

function describeStatus(s: NormalSide): string {
  if (s.status === 'error') return `error ${s.error?.code ?? '?'}${s.error?.codeName ? ` (${s.error.codeName})` : ''}`;
  return s.reason ? `${s.status}: ${s.reason}` : s.status;
}

const KIND_CLASS: Readonly<Record<DiffKind, DiffClass>> = Object.freeze({
  value: 'result-differs',
  missing: 'result-differs',
  extra: 'result-differs',
  'sort-order': 'result-differs',
  'numeric-type': 'numeric-type-only',
  'field-order': 'field-order-only',
  order: 'order-only',
});

const CLASS_RANK: Readonly<Record<string, number>> = { 'result-differs': 0, 'numeric-type-only': 1, 'field-order-only': 2, 'order-only': 3 };

/**
 * Classifies one operation of the baseline against one candidate (both normalised).
 * The class of two successes is the most severe kind among the differences that
 * count; differences at ignored paths make it at most `equivalent`.
 */
export function classifyPair(seq: number, a: NormalSide, b: NormalSide, order: ResultOrder, filters: PairFilters): PairComparison {
  if (a.status === 'unavailable' || a.status === 'skipped' || b.status === 'unavailable' || b.status === 'skipped') {
    const side = a.status === 'ok' || a.status === 'error' ? b : a;
    return { seq, class: 'unavailable', diffs: [], ignored: [], noise: [], reason: side.reason ?? side.status };
  }
  const raw = diffSides(a, b, order);
  const diffs: DiffEntry[] = [];
  const ignored: DiffEntry[] = [];
  const noise: DiffEntry[] = [];
  for (const d of raw) {
    if (filters.ignorePaths.some((p) => matchesPattern(d.path, p)) || (d.kind === 'value' && VALUE_MASKED_PATHS.some((p) => matchesPattern(d.path, p)))) ignored.push(d);
    else if (filters.noisePaths !== undefined && isNoise(d, filters.noisePaths)) noise.push(d);
    else diffs.push(d);
  }
  let cls: DiffClass;
  // A write answered ok:1 with writeErrors (a duplicate key, a validation failure) failed
  // for those documents: on the candidate alone that is a new error, not a changed result.
  const newWriteError = diffs.length > 0 && a.status === 'ok' && b.status === 'ok' && !hasWriteErrors(a) && hasWriteErrors(b);
  const fixedWriteError = diffs.length > 0 && a.status === 'ok' && b.status === 'ok' && hasWriteErrors(a) && !hasWriteErrors(b);
  if ((a.status === 'ok' && b.status === 'error') || newWriteError) cls = 'new-error';
  else if ((a.status === 'error' && b.status === 'ok') || fixedWriteError) cls = 'fixed-error';
  else if (diffs.length === 0) cls = ignored.length + noise.length === 0 ? 'identical' : 'equivalent';
  else if (a.status === 'error') cls = 'error-differs';
  else {
    cls = 'order-only';
    for (const d of diffs) {
      const c = KIND_CLASS[d.kind];
      if (CLASS_RANK[c]! < CLASS_RANK[cls]!) cls = c;
    }
  }
  return { seq, class: cls, diffs, ignored, noise };
}

function hasWriteErrors(s: NormalSide): boolean {
  const r = s.reply;
  return r !== undefined && r !== null && typeof r === 'object' && ((Array.isArray(r.writeErrors) && r.writeErrors.length > 0) || (r.writeConcernError !== undefined && r.writeConcernError !== null));
}
