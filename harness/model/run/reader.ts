import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BSON } from 'mongodb';
import { RunCorruptError } from '../../errors.ts';
import { decodeHistogram, type LatencyHistogram } from '../histogram.ts';
import type { OperationOutcome } from './outcome.ts';
import { STATE_FILE, type RunState } from './state.ts';
import { HISTOGRAMS_FILE, OUTCOMES_FILE, RUN_FORMAT, RUN_FORMAT_VERSION, RUN_JSON, type HistogramLine, type RunJson } from './files.ts';

/**
 * Reading a run directory, for the compare stage and for merge. Outcomes stream one
 * line at a time (memory stays flat); a corrupt line is reported through `onIssue`
 * and skipped, never a crash.
 */
export interface RunIssue {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  readonly message: string;
}

export interface RunHistogram extends Omit<HistogramLine, 'hist'> {
  readonly hist: LatencyHistogram;
}

export interface RunData {
  readonly dir: string;
  readonly run: RunJson;
  readonly histograms: readonly RunHistogram[];
}

export async function readRun(dir: string): Promise<RunData> {
  const path = join(dir, RUN_JSON);
  let run: RunJson;
  try {
    run = JSON.parse(await readFile(path, 'utf8')) as RunJson;
  } catch (err) {
    throw new RunCorruptError(`${path}: not a readable run.json (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  if (run?.format !== RUN_FORMAT) throw new RunCorruptError(`${path}: format is not ${RUN_FORMAT}`);
  if (run.version !== RUN_FORMAT_VERSION) throw new RunCorruptError(`${path}: run format version ${String(run.version)} is not ${RUN_FORMAT_VERSION}`);
  const histograms: RunHistogram[] = [];
  const hpath = join(dir, HISTOGRAMS_FILE);
  if (existsSync(hpath)) {
    const lines = (await readFile(hpath, 'utf8')).split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]) continue;
      try {
        const h = JSON.parse(lines[i]!) as HistogramLine;
        histograms.push({ ...h, hist: decodeHistogram(h.hist) });
      } catch (err) {
        throw new RunCorruptError(`${hpath}:${i + 1}: histogram line unreadable (${(err as Error).message.split('\n')[0]})`, { cause: err });
      }
    }
  }
  return { dir, run, histograms };
}

export async function* readRunOutcomes(dir: string, options: { onIssue?: (issue: RunIssue) => void } = {}): AsyncIterable<OperationOutcome> {
  const file = join(dir, OUTCOMES_FILE);
  if (!existsSync(file)) throw new RunCorruptError(`${file}: no outcomes file in run directory`);
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    if (text.length === 0) continue;
    const decoded = decodeOutcomeLine(text);
    if (decoded.ok) yield decoded.outcome;
    else options.onIssue?.({ file, line, code: 'MC_RUN_CORRUPT_OUTCOME', message: decoded.message });
  }
}

export function decodeOutcomeLine(text: string): { ok: true; outcome: OperationOutcome } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = BSON.EJSON.parse(text, { relaxed: false });
  } catch (err) {
    return { ok: false, message: `not Extended JSON: ${(err as Error).message.split('\n')[0]}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, message: 'not an object' };
  const o = plainNumbers(value as Record<string, unknown>) as Partial<OperationOutcome>;
  if (typeof o.seq !== 'number') return { ok: false, message: 'field seq: expected a number' };
  if (typeof o.conn !== 'string') return { ok: false, message: 'field conn: expected a string' };
  if (typeof o.cmd !== 'string') return { ok: false, message: 'field cmd: expected a string' };
  if (typeof o.db !== 'string') return { ok: false, message: 'field db: expected a string' };
  if (typeof o.shape !== 'string') return { ok: false, message: 'field shape: expected a string' };
  if (o.targets === null || typeof o.targets !== 'object') return { ok: false, message: 'field targets: expected an object' };
  return { ok: true, outcome: o as OperationOutcome };
}

/**
 * Canonical Extended JSON brings every number back as Int32/Double/Long: right for
 * BSON documents (replies, commands), wrong for the outcome's own figures, which are
 * plain numbers in the contract. Those are turned back here.
 */
function plainNumbers(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...o, seq: num(o.seq) };
  const rec = o.recorded as Record<string, unknown> | undefined;
  if (rec && typeof rec === 'object') {
    out.recorded = { ...rec, ...(rec.durUs !== undefined && rec.durUs !== null ? { durUs: num(rec.durUs) } : {}), ...(rec.error ? { error: errorNumbers(rec.error) } : {}) };
  }
  const targets = o.targets as Record<string, Record<string, unknown>> | undefined;
  if (targets && typeof targets === 'object') {
    const t2: Record<string, unknown> = {};
    for (const [name, t] of Object.entries(targets)) {
      if (t === null || typeof t !== 'object') {
        t2[name] = t;
        continue;
      }
      t2[name] = {
        ...t,
        ...(t.latencyUs !== undefined ? { latencyUs: num(t.latencyUs) } : {}),
        ...(t.docsCount !== undefined ? { docsCount: num(t.docsCount) } : {}),
        ...(t.error ? { error: errorNumbers(t.error) } : {}),
      };
    }
    out.targets = t2;
  }
  return out;
}

function errorNumbers(e: unknown): unknown {
  if (e === null || typeof e !== 'object') return e;
  const err = e as Record<string, unknown>;
  return err.code === undefined ? err : { ...err, code: num(err.code) };
}

function num(v: unknown): unknown {
  if (typeof v === 'number') return v;
  if (v !== null && typeof v === 'object' && '_bsontype' in v) return Number((v as { valueOf(): unknown }).valueOf());
  return v;
}

/** The state after writes of a run, or undefined when the run replayed no writes. */
export async function readRunState(dir: string): Promise<RunState | undefined> {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) return undefined;
  let state: RunState;
  try {
    state = JSON.parse(await readFile(path, 'utf8')) as RunState;
  } catch (err) {
    throw new RunCorruptError(`${path}: not a readable state file (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  if (!Array.isArray(state?.differences)) throw new RunCorruptError(`${path}: field differences: expected an array`);
  return state;
}
