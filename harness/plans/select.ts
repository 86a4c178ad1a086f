import type { BSON } from 'mongodb';
import { canonicalCommandName } from '../model/command-name.ts';
import type { OperationOutcome } from '../model/run/outcome.ts';
import { shapeOf } from '../model/shape.ts';
import type { PlansConfig } from '../config/schema.ts';

/**
 * Which operations of a run are explained, and the explain command each becomes. Pure.
 *
 * Per shape, the first `perShape` operations that succeeded on the baseline (or, when
 * none did, the first ones at all) are picked: the command as replayed, so its
 * collection, filter, sort and hint are those the targets saw.
 *
 * Explaining never changes data:
 * - reads (find, aggregate without $out/$merge, count, distinct) are explained at the
 *   configured verbosity (executionStats runs the read, which writes nothing);
 * - writes (update, delete, findAndModify, aggregate with $out/$merge) are explained
 *   at `queryPlanner` whatever the configured verbosity: the server plans them and
 *   executes nothing. The manual says even executionStats does not apply a write's
 *   changes, but that is one promise per server version to trust; queryPlanner needs
 *   none. The plan keeps its write root (UPDATE, DELETE) over the access path, and the
 *   ratio of documents examined is simply absent for writes.
 * - an update or delete batch is explained by its first statement (explain takes one).
 */
export const EXPLAINED_COMMANDS: ReadonlySet<string> = new Set(['find', 'aggregate', 'count', 'distinct', 'findAndModify', 'update', 'delete']);

/** Fields of a replayed command that explain must not carry (sessions, transactions, concerns, our own time limit). */
const DROPPED_FIELDS: ReadonlySet<string> = new Set([
  'lsid',
  'txnNumber',
  '$clusterTime',
  '$db',
  '$readPreference',
  'readConcern',
  'writeConcern',
  'startTransaction',
  'autocommit',
  'maxTimeMS',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  '$audit',
]);

export interface PlanPick {
  readonly shape: string;
  readonly shapeText: string;
  readonly cmd: string;
  readonly app?: string;
  readonly db: string;
  readonly coll?: string;
  readonly seq: number;
  /** A write: explained at queryPlanner only. */
  readonly write: boolean;
  readonly verbosity: PlansConfig['verbosity'];
  /** `{ explain: <command>, verbosity, maxTimeMS }`. */
  readonly explain: BSON.Document;
}

export class ShapePicker {
  private readonly picked = new Map<string, { ok: OperationOutcome[]; other: OperationOutcome[] }>();

  constructor(
    private readonly settings: Pick<PlansConfig, 'perShape' | 'verbosity' | 'timeLimitMs'>,
    private readonly baseline: string,
  ) {}

  /**
   * Offers one outcome; kept when its shape still needs operations. Returns the pick when
   * it is final (it succeeded on the baseline, and those are always preferred), so the
   * caller may explain it while the run is still being read.
   */
  add(o: OperationOutcome): PlanPick | undefined {
    const cmd = canonicalCommandName(o.cmd);
    if (!EXPLAINED_COMMANDS.has(cmd)) return undefined;
    let p = this.picked.get(o.shape);
    if (!p) this.picked.set(o.shape, (p = { ok: [], other: [] }));
    const ok = o.targets[this.baseline]?.status === 'ok';
    const list = ok ? p.ok : p.other;
    if (list.length >= this.settings.perShape) return undefined;
    list.push(o);
    return ok ? pickOf(o, this.settings) : undefined;
  }

  /** Picks of shapes none of whose operations succeeded on the baseline: known only once the whole run is read. */
  leftovers(): PlanPick[] {
    const out: PlanPick[] = [];
    for (const p of this.picked.values()) {
      if (p.ok.length) continue;
      for (const o of p.other) {
        const pick = pickOf(o, this.settings);
        if (pick) out.push(pick);
      }
    }
    return out;
  }

  /** Every pick, in the order their shapes first appeared. */
  picks(): PlanPick[] {
    const out: PlanPick[] = [];
    for (const p of this.picked.values()) {
      for (const o of p.ok.length ? p.ok : p.other) {
        const pick = pickOf(o, this.settings);
        if (pick) out.push(pick);
      }
    }
    return out;
  }
}

export function pickOf(o: OperationOutcome, settings: Pick<PlansConfig, 'verbosity' | 'timeLimitMs'>): PlanPick | undefined {
  const cmd = canonicalCommandName(o.cmd);
  const inner = explainable(o.command, cmd);
  if (!inner) return undefined;
  const write = isWrite(cmd, inner);
  const verbosity = write ? 'queryPlanner' : settings.verbosity;
  return {
    shape: o.shape,
    shapeText: shapeOf(o.command).text,
    cmd,
    ...(o.app !== undefined ? { app: o.app } : {}),
    db: o.db,
    ...(o.coll !== undefined ? { coll: o.coll } : {}),
    seq: o.seq,
    write,
    verbosity,
    explain: { explain: inner, verbosity, maxTimeMS: settings.timeLimitMs },
  };
}

/** The command as explain takes it: fields that do not belong dropped, a write batch cut to its first statement. */
function explainable(command: BSON.Document, cmd: string): BSON.Document | undefined {
  const out: BSON.Document = {};
  for (const [k, v] of Object.entries(command)) {
    if (DROPPED_FIELDS.has(k)) continue;
    out[k] = v;
  }
  for (const batch of ['updates', 'deletes'] as const) {
    if (cmd === (batch === 'updates' ? 'update' : 'delete')) {
      const list = out[batch];
      if (!Array.isArray(list) || list.length === 0) return undefined;
      out[batch] = [list[0]];
    }
  }
  return out;
}

function isWrite(cmd: string, command: BSON.Document): boolean {
  if (cmd === 'update' || cmd === 'delete' || cmd === 'findAndModify') return true;
  if (cmd !== 'aggregate' || !Array.isArray(command.pipeline)) return false;
  return command.pipeline.some((s: unknown) => s !== null && typeof s === 'object' && ('$out' in s || '$merge' in s));
}
