import type { OperationOutcome } from '../model/run/outcome.ts';
import type { DiffClass, DiffGroup, DiffKind, PairComparison } from './types.ts';
import { severityRank } from './types.ts';
import { generalise } from './path.ts';
import { shapeOf } from '../model/shape.ts';
import { display } from './value.ts';

/** Documents of a result shown in a group's example; the diff paths point at the rest. */
const EXAMPLE_DOCS = 20;

/**
 * Groups differing operations by (candidate, app, shape, class). Holds only counts,
 * a bounded list of seqs and the first example per group, so memory does not grow
 * with the number of operations.
 */
export class Grouper {
  private readonly groups = new Map<string, MutableGroup>();

  constructor(private readonly maxSeqs: number) {}

  add(candidate: string, app: string, outcome: OperationOutcome, baseline: string, pair: PairComparison): void {
    const key = `${candidate}\u0000${app}\u0000${outcome.shape}\u0000${pair.class}`;
    let g = this.groups.get(key);
    if (!g) {
      g = {
        candidate,
        app,
        shape: outcome.shape,
        shapeText: shapeOf(outcome.command).text,
        cmd: outcome.cmd,
        db: outcome.db,
        coll: outcome.coll,
        class: pair.class,
        count: 0,
        seqs: [],
        pathCounts: new Map(),
        causes: {},
        example: {
          seq: outcome.seq,
          command: display(outcome.command),
          baseline: sideText(outcome.targets[baseline]),
          candidate: sideText(outcome.targets[candidate]),
          recorded: outcome.recorded ? sideText({ status: outcome.recorded.error ? 'error' : 'ok', ...outcome.recorded }) : undefined,
          diffs: pair.diffs,
          drift: pair.drift,
          cause: pair.cause,
        },
      };
      this.groups.set(key, g);
    }
    g.count++;
    if (g.seqs.length < this.maxSeqs) g.seqs.push(outcome.seq);
    if (pair.cause) g.causes[pair.cause] = (g.causes[pair.cause] ?? 0) + 1;
    const seen = new Set<string>();
    for (const d of pair.diffs) {
      const pk = `${generalise(d.path)}\u0000${d.kind}`;
      if (seen.has(pk)) continue;
      seen.add(pk);
      g.pathCounts.set(pk, (g.pathCounts.get(pk) ?? 0) + 1);
    }
  }

  /** Most severe first, then most frequent, then by shape id for a stable order. */
  finish(): DiffGroup[] {
    return [...this.groups.values()]
      .map(({ pathCounts, ...g }) => ({
        ...g,
        paths: [...pathCounts.entries()]
          .map(([k, count]) => {
            const [path, kind] = k.split('\u0000') as [string, DiffKind];
            return { path, kind, count };
          })
          .sort((a, b) => b.count - a.count || a.path.localeCompare(b.path)),
      }))
      .sort((a, b) => severityRank(a.class) - severityRank(b.class) || b.count - a.count || a.shape.localeCompare(b.shape) || a.candidate.localeCompare(b.candidate));
  }
}

type MutableGroup = Omit<DiffGroup, 'paths' | 'seqs' | 'causes' | 'count'> & {
  count: number;
  seqs: number[];
  causes: Partial<Record<NonNullable<PairComparison['cause']>, number>>;
  pathCounts: Map<string, number>;
  class: DiffClass;
};

function sideText(side: { status: string; reply?: unknown; docs?: readonly unknown[]; error?: unknown; reason?: string } | undefined): string {
  if (!side) return 'absent';
  const shown: Record<string, unknown> = { status: side.status };
  if (side.reply !== undefined) shown.reply = side.reply;
  if (side.error !== undefined) shown.error = side.error;
  if (side.reason !== undefined) shown.reason = side.reason;
  if (Array.isArray(side.docs)) {
    shown.docs = side.docs.slice(0, EXAMPLE_DOCS);
    if (side.docs.length > EXAMPLE_DOCS) shown.docsTotal = side.docs.length;
  }
  return display(shown);
}
