import { EXIT_BITS } from '../report/exit-status.ts';
import type { HistoryCell, HistoryEntry, HistoryGroup } from './history.ts';

/** An acknowledged difference group: from the config (reason, expiry) or `--accept ID` (this run only). */
export interface Acceptance {
  readonly id: string;
  readonly reason: string;
  /** YYYY-MM-DD, the last day it holds; absent for a command-line acceptance. */
  readonly expires?: string;
}

/** One cell compared with the last comparable run: the same app and candidate, where that cell ran. */
export interface CellChanges {
  readonly app: string;
  readonly candidate: string;
  /** The run compared with; null on the cell's first night. */
  readonly previousRunId: string | null;
  readonly new: readonly HistoryGroup[];
  readonly fixed: readonly HistoryGroup[];
  readonly open: readonly HistoryGroup[];
  /** Ids of this cell's groups that an acceptance in force covers. */
  readonly accepted: readonly string[];
}

export type FailOn = 'new' | 'any';

/** The most recent earlier run in which this app × candidate ran (a cell that errored is not comparable). */
export function previousCell(history: readonly HistoryEntry[], app: string, candidate: string): { runId: string; cell: HistoryCell } | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const e = history[i]!;
    const cell = e.cells.find((c) => c.app === app && c.candidate === candidate && c.verdict !== 'error');
    if (cell) return { runId: e.runId, cell };
  }
  return undefined;
}

/** Acceptances in force on `today` (YYYY-MM-DD), and a warning per expired one. */
export function acceptancesInForce(all: readonly Acceptance[], today: string): { byId: Map<string, Acceptance>; warnings: string[] } {
  const byId = new Map<string, Acceptance>();
  const warnings: string[] = [];
  for (const a of all) {
    if (a.expires !== undefined && a.expires < today) warnings.push(`acceptance of ${a.id} expired on ${a.expires} (${a.reason}); it no longer counts`);
    else byId.set(a.id, a);
  }
  return { byId, warnings };
}

export function compareCell(cell: HistoryCell, history: readonly HistoryEntry[], accepted: ReadonlyMap<string, Acceptance>): CellChanges {
  const prev = previousCell(history, cell.app, cell.candidate);
  const before = new Map((prev?.cell.groups ?? []).map((g) => [g.id, g]));
  const now = new Set(cell.groups.map((g) => g.id));
  return {
    app: cell.app,
    candidate: cell.candidate,
    previousRunId: prev?.runId ?? null,
    new: cell.groups.filter((g) => !before.has(g.id)),
    open: cell.groups.filter((g) => before.has(g.id)),
    fixed: [...before.values()].filter((g) => !now.has(g.id)),
    accepted: cell.groups.filter((g) => accepted.has(g.id)).map((g) => g.id),
  };
}

/**
 * The suite's exit bitmask, the bits of `report` (harness/report/exit-status.ts):
 * 1 a cell could not run, 2 warn, 4 fail, 8 a run cut short. With failOn `new` a cell's
 * warn or fail counts only when it has difference groups that are new since the last
 * comparable run and not accepted; with `any` every warn or fail verdict counts unless
 * all of its groups are accepted. Pure.
 */
export function suiteExit(cells: readonly HistoryCell[], changes: readonly CellChanges[], failOn: FailOn, cut: boolean): { status: number; reasons: string[] } {
  let status = 0;
  const reasons: string[] = [];
  const errors = cells.filter((c) => c.verdict === 'error');
  if (errors.length) {
    status |= EXIT_BITS.ERRORS;
    reasons.push(`1: ${errors.length} cell(s) could not run: ${errors[0]!.app} on ${errors[0]!.candidate}: ${errors[0]!.error ?? 'error'}`);
  }
  const counted = { warn: [] as string[], fail: [] as string[] };
  for (const cell of cells) {
    if (cell.verdict !== 'warn' && cell.verdict !== 'fail') continue;
    const ch = changes.find((c) => c.app === cell.app && c.candidate === cell.candidate);
    const accepted = new Set(ch?.accepted ?? []);
    const unaccepted = (gs: readonly HistoryGroup[]) => gs.filter((g) => !accepted.has(g.id));
    const counts =
      failOn === 'new'
        ? unaccepted(ch?.new ?? cell.groups).length > 0
        : cell.groups.length === 0 || unaccepted(cell.groups).length > 0;
    if (counts) counted[cell.verdict].push(`${cell.app} on ${cell.candidate}`);
  }
  const what = failOn === 'new' ? ' with new difference groups' : '';
  if (counted.warn.length) {
    status |= EXIT_BITS.WARN;
    reasons.push(`2: warn${what}: ${counted.warn.join(', ')}`);
  }
  if (counted.fail.length) {
    status |= EXIT_BITS.FAIL;
    reasons.push(`4: fail${what}: ${counted.fail.join(', ')}`);
  }
  if (cut) {
    status |= EXIT_BITS.TIME_LIMIT;
    reasons.push('8: a replay was cut short before the end of its captures');
  }
  return { status, reasons };
}
