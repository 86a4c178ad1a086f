import type { DiffEntry, DiffKind, ServerDifferences } from './types.ts';
import { generalise } from './path.ts';

/**
 * The "Server differences" of a run: how the replies of server-describing commands
 * (model/server-commands.ts) differ between the baseline and each candidate: version strings,
 * feature and command lists, parameters, sizes. They never enter an app's verdict.
 * Deduplicated across operations: one row per candidate × command × generalised path,
 * with the first pair of values seen and how many operations differed there.
 *
 * Bounded: at most MAX_PATHS rows per candidate × command (serverStatus alone has
 * thousands of counters that differ on every call); the rest are counted, not kept.
 */
const MAX_PATHS = 200;
/** Longest value kept per side, in characters of canonical Extended JSON. */
const MAX_VALUE = 300;
/** Field order and element order say nothing about a server description. */
const KINDS: ReadonlySet<DiffKind> = new Set(['value', 'missing', 'extra', 'numeric-type']);

interface Entry {
  readonly candidate: string;
  readonly command: string;
  operations: number;
  readonly paths: Map<string, { path: string; kind: DiffKind; baseline?: string; candidate?: string; count: number }>;
  readonly overflow: Set<string>;
}

export class ServerDiffCollector {
  private readonly entries = new Map<string, Entry>();

  /** One operation's reply differences (already filtered of masked and ignored paths); `command` in its canonical spelling. */
  add(candidate: string, command: string, diffs: readonly DiffEntry[]): void {
    const kept = diffs.filter((d) => KINDS.has(d.kind));
    if (kept.length === 0) return;
    const key = `${candidate}\u0000${command}`;
    let e = this.entries.get(key);
    if (!e) this.entries.set(key, (e = { candidate, command, operations: 0, paths: new Map(), overflow: new Set() }));
    e.operations++;
    const seen = new Set<string>();
    for (const d of kept) {
      const path = generalise(d.path);
      const pk = `${path}\u0000${d.kind}`;
      if (seen.has(pk)) continue;
      seen.add(pk);
      const p = e.paths.get(pk);
      if (p) p.count++;
      else if (e.paths.size < MAX_PATHS) {
        e.paths.set(pk, { path, kind: d.kind, ...(d.baseline !== undefined ? { baseline: cut(d.baseline) } : {}), ...(d.candidate !== undefined ? { candidate: cut(d.candidate) } : {}), count: 1 });
      } else if (e.overflow.size < 10 * MAX_PATHS) e.overflow.add(pk);
    }
  }

  /** By candidate, then command name; paths in the order first seen (the reply's order). */
  finish(): ServerDifferences[] {
    return [...this.entries.values()]
      .map((e) => ({ candidate: e.candidate, command: e.command, operations: e.operations, paths: [...e.paths.values()], morePaths: e.overflow.size }))
      .sort((a, b) => a.candidate.localeCompare(b.candidate) || a.command.localeCompare(b.command));
  }
}

function cut(text: string): string {
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}
