import type { OperationOutcome } from '../model/run/outcome.ts';
import type { Cause, DiffClass, DiffGroup, DiffKind, PairComparison } from './types.ts';
import { severityRank } from './types.ts';
import type { NormalSide } from './normalise.ts';
import { generalise } from './path.ts';
import { shapeOf } from '../model/shape.ts';
import { shapeLabel } from './shape-label.ts';
import { display, kindOf } from './value.ts';

/** Documents of a result shown in a group's example; the diff paths point at the rest. */
const EXAMPLE_DOCS = 20;
/** `_id`s of differing documents named per example. */
const EXAMPLE_IDS = 5;

/**
 * Groups differing operations by (candidate, app, shape, class), and apart from them
 * those whose collection pre-flight found differing (cause `data-differs`), so a group
 * has one cause a verdict can weigh. Holds only counts, a bounded list of seqs and the
 * first example per group, so memory does not grow with the number of operations.
 */
export class Grouper {
  private readonly groups = new Map<string, MutableGroup>();

  constructor(private readonly maxSeqs: number) {}

  /** `sides`: the normalised baseline and candidate, read only for the first example's `_id`s. */
  add(candidate: string, app: string, outcome: OperationOutcome, baseline: string, pair: PairComparison, sides: { readonly a: NormalSide; readonly b: NormalSide }): void {
    const data = pair.cause === 'data-differs';
    const key = `${candidate}\u0000${app}\u0000${outcome.shape}\u0000${pair.class}${data ? '\u0000data' : ''}`;
    let g = this.groups.get(key);
    if (!g) {
      const shapeText = shapeOf(outcome.command).text;
      const ids = differingIds(pair, sides.a, sides.b);
      g = {
        candidate,
        app,
        shape: outcome.shape,
        shapeText,
        label: shapeLabel(outcome.shape, shapeText),
        cmd: outcome.cmd,
        db: outcome.db,
        coll: outcome.coll,
        class: pair.class,
        count: 0,
        seqs: [],
        pathCounts: new Map(),
        causes: {},
        ...(data && pair.preflight !== undefined ? { preflight: pair.preflight } : {}),
        example: {
          seq: outcome.seq,
          command: display(outcome.command),
          baseline: sideText(outcome.targets[baseline]),
          candidate: sideText(outcome.targets[candidate]),
          recorded: outcome.recorded ? sideText({ status: outcome.recorded.error ? 'error' : 'ok', ...outcome.recorded }) : undefined,
          diffs: pair.diffs,
          drift: pair.drift,
          cause: pair.cause,
          ...(ids.length ? { ids } : {}),
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
      .map(({ pathCounts, ...g }) => {
        const cause = groupCause(g.causes);
        return {
          ...g,
          ...(cause ? { cause } : {}),
          paths: [...pathCounts.entries()]
            .map(([k, count]) => {
              const [path, kind] = k.split('\u0000') as [string, DiffKind];
              return { path, kind, count };
            })
            .sort((a, b) => b.count - a.count || a.path.localeCompare(b.path)),
        };
      })
      .sort((a, b) => severityRank(a.class) - severityRank(b.class) || b.count - a.count || a.shape.localeCompare(b.shape) || a.candidate.localeCompare(b.candidate) || Number(a.cause === 'data-differs') - Number(b.cause === 'data-differs'));
  }
}

type MutableGroup = Omit<DiffGroup, 'paths' | 'seqs' | 'causes' | 'count' | 'cause'> & {
  count: number;
  seqs: number[];
  causes: Partial<Record<Cause, number>>;
  pathCounts: Map<string, number>;
  class: DiffClass;
};

/** The cause every operation of the group agrees on, else `mixed`; none without causes. */
function groupCause(causes: Partial<Record<Cause, number>>): Cause | undefined {
  const present = Object.keys(causes) as Cause[];
  if (present.length === 0) return undefined;
  return present.length === 1 ? present[0] : 'mixed';
}

/**
 * The `_id`s of the documents the example's differences are in: a diff at `docs[i]…`
 * names the baseline's i-th document (the candidate's j-th for `extra`), so a reader
 * learns which document changed without opening the evidence.
 */
function differingIds(pair: PairComparison, a: NormalSide, b: NormalSide): string[] {
  const out: string[] = [];
  for (const d of pair.diffs) {
    const m = /^docs\[(\d+)\]/.exec(d.path);
    if (!m) continue;
    const doc = (d.kind === 'extra' && d.path === m[0] ? b.docs : a.docs)?.[Number(m[1])];
    if (kindOf(doc) !== 'document' || !('_id' in (doc as object))) continue;
    const id = display((doc as { _id: unknown })._id);
    if (!out.includes(id)) out.push(id);
    if (out.length === EXAMPLE_IDS) break;
  }
  return out;
}

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
