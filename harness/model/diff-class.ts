/**
 * The vocabulary of a pair comparison's verdict, shared by the compare stage (which
 * assigns classes) and the config (which lets a user re-rate or ignore a class).
 */

/**
 * Classes, most severe first. `unavailable` also covers `skipped`: the operation was
 * not run (or not answerable) on one of the two targets, so nothing was compared.
 */
export const DIFF_CLASSES = Object.freeze([
  'new-error', // candidate fails, baseline succeeds
  'result-differs', // both succeed, results differ (values, fields, counts, sorted order)
  'error-differs', // both fail, with a different code or codeName
  'numeric-type-only', // equal values of another numeric type (int32/int64/double/decimal)
  'field-order-only', // same fields and values, in another order inside a document
  'order-only', // same documents in another order, where no order is promised (no sort, or ties)
  'fixed-error', // baseline fails, candidate succeeds
  'unavailable', // not compared: unavailable or skipped on a side
  'equivalent', // equal after normalisation (masked paths, config ignores, noise, error wording)
  'identical', // equal with only the volatile fields removed
] as const);
export type DiffClass = (typeof DIFF_CLASSES)[number];

/** Lower is more severe: the index in DIFF_CLASSES. */
export function severityRank(cls: DiffClass): number {
  return DIFF_CLASSES.indexOf(cls);
}
