import { createHash } from 'node:crypto';
import type { DiffGroup } from '../compare/types.ts';

/**
 * A difference group's stable id, the same every night for the same difference: a hash
 * of what the difference is (app, candidate, query shape, class, cause, the paths that
 * differ), never of what varies between runs (counts, seqs, example values). Paths are
 * sorted so their order in a run does not matter. `g-` and 12 hex digits, like a shape id.
 */
export function groupId(g: { readonly app: string; readonly candidate: string; readonly shape: string; readonly class: string; readonly cause?: string | undefined; readonly paths: readonly string[] }): string {
  const paths = [...new Set(g.paths)].sort();
  const text = JSON.stringify([g.app, g.candidate, g.shape, g.class, g.cause ?? '', paths]);
  return `g-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
}

/** The id of a compare group, under the suite's app name (a capture may label its records otherwise). */
export function idOfDiffGroup(app: string, g: DiffGroup): string {
  return groupId({ app, candidate: g.candidate, shape: g.shape, class: g.class, cause: g.cause, paths: g.paths.map((p) => p.path) });
}
