import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test as propTest } from '@fast-check/vitest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendHistory, HISTORY_FILE, parseHistory, readHistory, type HistoryCell, type HistoryEntry } from '../../../harness/suite/history.ts';

const cell = (over: Partial<HistoryCell> = {}): HistoryCell => ({
  app: 'shop',
  candidate: 'v70',
  version: '7.0.12',
  verdict: 'pass',
  groups: [],
  newErrors: 0,
  latency: { '*': 1.02 },
  quality: { droppedAtCapture: 0, unparseable: 0, corruptOutcomes: 0, records: 10, outcomes: 10 },
  ...over,
});
const entry = (runId: string, cells: HistoryCell[] = [cell()]): HistoryEntry => ({
  format: 'mongo-compat-suite-history',
  version: 1,
  runId,
  startedAt: '2026-11-30T01:00:00.000Z',
  endedAt: '2026-11-30T01:10:00.000Z',
  tool: { name: 'mongo-compat', version: '0.1.0' },
  targets: { base: '6.0.0', v70: '7.0.12' },
  cells,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-suite-history-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('suite history (JSON lines)', () => {
  it('reads back what was appended, oldest first; a missing history is empty', async () => {
    expect(await readHistory(join(dir, 'none'))).toEqual({ entries: [], warnings: [] });
    await appendHistory(dir, entry('r1'));
    await appendHistory(dir, entry('r2', [cell({ verdict: 'fail', groups: [{ id: 'g-0123456789ab', shape: 'abc', label: 'find x', class: 'result-differs', paths: ['docs[].a'], count: 2 }] })]));
    const read = await readHistory(dir);
    expect(read.warnings).toEqual([]);
    expect(read.entries.map((e) => e.runId)).toEqual(['r1', 'r2']);
    expect(read.entries[1]!.cells[0]!.groups[0]!.id).toBe('g-0123456789ab');
  });

  it('discards a last line cut short by a crash with a warning naming the line, and keeps earlier runs', async () => {
    await appendHistory(dir, entry('r1'));
    await appendHistory(dir, entry('r2'));
    const whole = JSON.stringify(entry('r3'));
    await appendFile(join(dir, HISTORY_FILE), whole.slice(0, whole.length / 2));
    const read = await readHistory(dir);
    expect(read.entries.map((e) => e.runId)).toEqual(['r1', 'r2']);
    expect(read.warnings).toHaveLength(1);
    expect(read.warnings[0]).toMatch(/history\.jsonl:3: last line cut short/);
  });

  it('appends whole lines after a cut one: the next run is readable and only the cut line is lost', async () => {
    await appendHistory(dir, entry('r1'));
    await appendFile(join(dir, HISTORY_FILE), '{"format":"mongo-compat-suite-hist');
    await appendHistory(dir, entry('r3'));
    const read = await readHistory(dir);
    expect(read.entries.map((e) => e.runId)).toEqual(['r1', 'r3']);
    expect(read.warnings).toEqual([expect.stringMatching(/history\.jsonl:2: not a suite history entry/)]);
    expect((await readFile(join(dir, HISTORY_FILE), 'utf8')).endsWith('\n')).toBe(true);
  });

  it('skips a line of another format or version with a warning', async () => {
    await writeFile(join(dir, HISTORY_FILE), `${JSON.stringify({ ...entry('old'), version: 99 })}\n${JSON.stringify(entry('r2'))}\n`);
    const read = await readHistory(dir);
    expect(read.entries.map((e) => e.runId)).toEqual(['r2']);
    expect(read.warnings[0]).toMatch(/:1: not a suite history entry of version 1/);
  });

  propTest.prop([fc.array(fc.string({ unit: 'binary' }), { maxLength: 6 })], { numRuns: 100 })('never throws on garbage, and keeps whole entries among it', (junk) => {
    const good = JSON.stringify(entry('ok'));
    const text = `${[...junk.map((j) => j.replace(/\n/g, ' ')), good].join('\n')}\n`;
    const read = parseHistory(text, 'h.jsonl');
    expect(read.entries.map((e) => e.runId)).toContain('ok');
    for (const w of read.warnings) expect(w).toMatch(/^h\.jsonl:\d+: /);
  });

  propTest.prop([fc.array(fc.constantFrom('pass', 'warn', 'fail', 'error') as fc.Arbitrary<HistoryCell['verdict']>, { minLength: 1, maxLength: 4 })], { numRuns: 50 })('round-trips every entry through its line', (verdicts) => {
    const e = entry('rt', verdicts.map((verdict, i) => cell({ verdict, candidate: `c${i}` })));
    expect(parseHistory(`${JSON.stringify(e)}\n`, 'h').entries).toEqual([e]);
  });
});
