import type { DiffEntry } from './types.ts';
import { generalise, matchesPattern } from './path.ts';

/**
 * Noise learnt in the manner of Diffy (twitter/diffy): the same operations run on two
 * baselines (two servers of the baseline version, or the baseline replayed twice);
 * every path where the two differ for a shape varies without any version change
 * (timestamps, generated ids, racing writes), so for that shape it is noise: removed
 * from the candidate's differences and listed as noise in the report.
 *
 * Paths are learnt generalised (`docs[].updatedAt`), so a field noisy in one document
 * is noise in every document of the shape's results, and a path covers what lies under
 * it. Order differences between baselines make order noise (key `docs:order`), which
 * hides order changes only, never changed documents.
 */
export function noiseKey(d: DiffEntry): string {
  const p = generalise(d.path);
  return d.kind === 'order' || d.kind === 'sort-order' ? `${p}:order` : p;
}

/** Whether a candidate difference is covered by the noise learnt for its shape. */
export function isNoise(d: DiffEntry, noise: ReadonlySet<string>): boolean {
  if (d.kind === 'order' || d.kind === 'sort-order') return noise.has(`${generalise(d.path)}:order`);
  for (const p of noise) if (!p.endsWith(':order') && matchesPattern(d.path, p)) return true;
  return false;
}

export class NoiseModel {
  private readonly byShape = new Map<string, Map<string, number>>();

  /** Records the differences between the two baselines for one operation of `shape`. */
  learn(shape: string, diffs: readonly DiffEntry[]): void {
    if (diffs.length === 0) return;
    let paths = this.byShape.get(shape);
    if (!paths) this.byShape.set(shape, (paths = new Map()));
    for (const d of diffs) {
      // A status or error difference between baselines is not learnt as noise: an
      // operation that fails at random on the baseline must not hide a new error.
      if (d.path === 'status' || d.path.startsWith('error.')) continue;
      const p = noiseKey(d);
      paths.set(p, (paths.get(p) ?? 0) + 1);
    }
  }

  pathsFor(shape: string): ReadonlySet<string> | undefined {
    const paths = this.byShape.get(shape);
    return paths ? new Set(paths.keys()) : undefined;
  }

  /** For the report: per shape, the noise paths and how often the baselines differed there. */
  summary(): { shape: string; paths: { path: string; count: number }[] }[] {
    return [...this.byShape.entries()]
      .filter(([, paths]) => paths.size > 0)
      .map(([shape, paths]) => ({
        shape,
        paths: [...paths.entries()].map(([path, count]) => ({ path, count })).sort((x, y) => y.count - x.count || x.path.localeCompare(y.path)),
      }))
      .sort((x, y) => x.shape.localeCompare(y.shape));
  }
}
