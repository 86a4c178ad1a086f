import { open, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VerdictLevel } from '../compare/types.ts';
import { SuiteError } from '../errors.ts';

/**
 * The history of suite runs: one JSON line per run in HISTORY_DIR/history.jsonl.
 *
 * Why JSON lines and not SQLite: a nightly suite appends one line a night and reads
 * the last few back; an append-only text file does that with no native module (Node 20
 * has no built-in SQLite), survives as a CI cache or artifact, diffs and greps, and
 * a crash can only cut the last line short, which the reader drops with a warning while
 * every earlier run stays readable. Each line is written with one write() and fsync'd.
 */
export const HISTORY_FORMAT = 'mongo-compat-suite-history';
export const HISTORY_VERSION = 1;
export const HISTORY_FILE = 'history.jsonl';

export interface HistoryGroup {
  readonly id: string;
  readonly shape: string;
  readonly label: string;
  readonly class: string;
  readonly cause?: string;
  readonly paths: readonly string[];
  readonly count: number;
}

/** One app × candidate of a run. */
export interface HistoryCell {
  readonly app: string;
  readonly candidate: string;
  /** The candidate's server version as the replayer saw it. */
  readonly version: string;
  /** `error` when the cell did not run (its one-line error in `error`). */
  readonly verdict: VerdictLevel | 'error';
  readonly error?: string;
  readonly groups: readonly HistoryGroup[];
  readonly newErrors: number;
  /** p99 latency ratio (candidate / baseline) per shape id, `*` for the whole app. */
  readonly latency: Readonly<Record<string, number | null>>;
  readonly quality: { readonly droppedAtCapture: number | null; readonly unparseable: number; readonly corruptOutcomes: number; readonly records: number; readonly outcomes: number };
  /** The app's report, relative to the suite's output directory. */
  readonly report?: string;
}

export interface HistoryEntry {
  readonly format: typeof HISTORY_FORMAT;
  readonly version: typeof HISTORY_VERSION;
  readonly runId: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly tool: { readonly name: string; readonly version: string };
  /** Server version by target name. */
  readonly targets: Readonly<Record<string, string>>;
  readonly cells: readonly HistoryCell[];
}

export interface HistoryRead {
  readonly entries: readonly HistoryEntry[];
  readonly warnings: readonly string[];
}

/** Reads every run of the history (oldest first); a missing file is an empty history. Never throws on content. */
export async function readHistory(dir: string): Promise<HistoryRead> {
  const file = join(dir, HISTORY_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], warnings: [] };
    throw new SuiteError(`${file}: history unreadable (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  return parseHistory(text, file);
}

/** The pure half of readHistory: lines to entries, with a warning per line dropped. */
export function parseHistory(text: string, file: string): HistoryRead {
  const entries: HistoryEntry[] = [];
  const warnings: string[] = [];
  const lines = text.split('\n');
  // A complete history ends with a newline, so the last piece is empty; anything else is a cut line.
  const cut = lines.pop() ?? '';
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const entry = parseLine(line);
    if (entry) entries.push(entry);
    else warnings.push(`${file}:${i + 1}: not a suite history entry of version ${HISTORY_VERSION}; line skipped`);
  });
  if (cut.trim() !== '') warnings.push(`${file}:${lines.length + 1}: last line cut short (a run that stopped mid-write); discarded, earlier runs kept`);
  return { entries, warnings };
}

function parseLine(line: string): HistoryEntry | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  const e = v as Partial<HistoryEntry> | null;
  if (!e || typeof e !== 'object' || e.format !== HISTORY_FORMAT || e.version !== HISTORY_VERSION || typeof e.runId !== 'string' || !Array.isArray(e.cells)) return undefined;
  for (const c of e.cells as unknown[]) {
    const cell = c as Partial<HistoryCell> | null;
    if (!cell || typeof cell.app !== 'string' || typeof cell.candidate !== 'string' || typeof cell.verdict !== 'string' || !Array.isArray(cell.groups)) return undefined;
    for (const g of cell.groups as unknown[]) if (!g || typeof (g as HistoryGroup).id !== 'string') return undefined;
  }
  return e as HistoryEntry;
}

/**
 * Appends one run. A history whose last line was cut short first gets a newline, so
 * the new line stays whole and the cut one stays the only casualty.
 */
export async function appendHistory(dir: string, entry: HistoryEntry): Promise<string> {
  const file = join(dir, HISTORY_FILE);
  try {
    await mkdir(dir, { recursive: true });
    const fh = await open(file, 'a+');
    try {
      const { size } = await fh.stat();
      let lead = '';
      if (size > 0) {
        const last = Buffer.alloc(1);
        await fh.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) lead = '\n';
      }
      await fh.write(`${lead}${JSON.stringify(entry)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new SuiteError(`${file}: cannot append to the history (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  return file;
}
