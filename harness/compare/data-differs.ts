import type { PreflightResult } from '../model/run/files.ts';

/**
 * The pre-flight findings (run.json `preflight`, written by harness/replay/preflight.ts
 * before any operation is replayed) as a lookup: does this collection start differently
 * on the baseline and on this candidate? When it does, a difference of an operation on
 * it is the clone's data, told as cause `data-differs` ("data differs before replay"),
 * not the version's: the three-way attribution cannot tell them apart, because the
 * recorded reply may match either side.
 *
 * A finding is one line, `db.coll: NAME=VALUE NAME=VALUE …`, one fingerprint per live
 * target (a dbHash md5, or `count:hash` of sampled documents, cut to 12 characters).
 * A candidate whose fingerprint equals the baseline's starts like it even when another
 * target (a second baseline) differs; when every fingerprint shown is equal (the cut
 * hid the difference) or the line cannot be read, the finding is taken at its word.
 *
 * Namespaces are the targets' (after `--map-db`); outcomes carry the recorded database,
 * so `mapDb` (run.json `options.mapDb`) maps it first.
 */
export class PreflightFindings {
  private readonly byNs = new Map<string, string>();
  private readonly verdicts = new Map<string, string | null>();

  constructor(
    preflight: Pick<PreflightResult, 'mismatches'> | undefined,
    private readonly baseline: string,
    private readonly mapDb: Readonly<Record<string, string>> = {},
  ) {
    for (const line of preflight?.mismatches ?? []) {
      const colon = line.indexOf(': ');
      if (colon > 0) this.byNs.set(line.slice(0, colon), line);
    }
  }

  /** True when pre-flight found no collection that differs: nothing to look up. */
  get empty(): boolean {
    return this.byNs.size === 0;
  }

  /** The finding for an operation on `db`.`coll` (recorded database), or undefined. */
  forOperation(db: string, coll: string | undefined, candidate: string): string | undefined {
    if (this.byNs.size === 0 || coll === undefined) return undefined;
    return this.forNamespace(`${this.mapDb[db] ?? db}.${coll}`, candidate);
  }

  /** The finding for a target namespace (state after writes), or undefined. */
  forNamespace(ns: string, candidate: string): string | undefined {
    if (this.byNs.size === 0) return undefined;
    const key = `${ns}\u0000${candidate}`;
    let v = this.verdicts.get(key);
    if (v === undefined) {
      const line = this.byNs.get(ns);
      v = line !== undefined && this.differs(line, candidate) ? line : null;
      this.verdicts.set(key, v);
    }
    return v ?? undefined;
  }

  private differs(line: string, candidate: string): boolean {
    const values = fingerprints(line.slice(line.indexOf(': ') + 2));
    const b = values.get(this.baseline);
    const c = values.get(candidate);
    if (b === undefined || c === undefined) return true;
    if (b !== c) return true;
    // Equal here, yet pre-flight flagged the collection: if no other target explains
    // the flag, the 12-character cut hid the difference.
    return [...values.values()].every((v) => v === b);
  }
}

/** `A=abc B=def` → {A: abc, B: def}; a value runs until the next ` NAME=`. */
function fingerprints(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const starts = [...text.matchAll(/(?:^| )([^\s=]+)=/g)];
  starts.forEach((m, i) => {
    const from = m.index! + m[0].length;
    const to = i + 1 < starts.length ? starts[i + 1]!.index! : text.length;
    out.set(m[1]!, text.slice(from, to));
  });
  return out;
}
