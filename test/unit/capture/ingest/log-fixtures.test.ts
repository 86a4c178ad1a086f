import { readFileSync } from 'node:fs';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseLogLine } from '../../../../harness/capture/ingest/log-line.ts';
import { LogOperations } from '../../../../harness/capture/ingest/log-operations.ts';
import { newCounters } from '../../../../harness/capture/ingest/summary.ts';
import type { OperationRecord } from '../../../../harness/model/record.ts';

interface Expect {
  kind: 'op' | 'bad' | 'skip';
  cmd?: string;
  db?: string;
  coll?: string;
  durMs?: number;
  app?: string;
  conn?: string;
  client?: string;
  replayable?: boolean;
  reason?: string;
  internal?: string;
  stats?: Record<string, unknown>;
  paths?: Record<string, unknown>;
}

interface Case {
  name: string;
  source: string;
  /** One line, or several as the server writes them (then `expect` lists the records in output order). */
  line?: string;
  lines?: string[];
  expect: Expect | Expect[];
}

const cases = parse(readFileSync(new URL('../../../fixtures/ingest/log-lines.yaml', import.meta.url), 'utf8')) as Case[];

function at(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[part];
  return cur;
}

/** The lines through the same path as `ingest --log`: parse, then pair and classify. */
function ingestLines(lines: readonly string[]): OperationRecord[] {
  const ops = new LogOperations(newCounters());
  const out: OperationRecord[] = [];
  for (const l of lines) {
    const r = parseLogLine(l);
    if (r.kind !== 'bad' && r.kind !== 'skip') out.push(...ops.push(r));
  }
  out.push(...ops.end());
  return out;
}

function check(rec: OperationRecord, e: Expect): void {
  expect(rec.cmd).toBe(e.cmd);
  expect(rec.db).toBe(e.db);
  if (e.coll) expect(rec.coll).toBe(e.coll);
  expect(rec.dur).toBe(e.durMs! * 1000);
  if (e.app) expect(rec.app).toBe(e.app);
  if (e.conn) expect(rec.conn).toBe(e.conn);
  if (e.client) expect(rec.client).toBe(e.client);
  expect(rec.notReplayable === undefined, `replayable (reason ${rec.notReplayable})`).toBe(e.replayable);
  if (e.reason) expect(rec.notReplayable).toBe(e.reason);
  if (e.internal) expect(rec.stats?.internal).toBe(e.internal);
  for (const [k, v] of Object.entries(e.stats ?? {})) expect(rec.stats?.[k], `stats.${k}`).toEqual(v);
  for (const [p, v] of Object.entries(e.paths ?? {})) expect(String(at(rec.command, p)), p).toBe(String(v));
  // The record starts when the operation started: log time minus duration.
  expect(rec.t).toBeGreaterThan(Date.UTC(2016, 0, 1) * 1000);
  // Every value must survive canonical Extended JSON (the store's on-disk form).
  const back = BSON.EJSON.parse(BSON.EJSON.stringify(rec.command, { relaxed: false }), { relaxed: false });
  expect(Buffer.from(BSON.serialize(back as BSON.Document)).equals(BSON.serialize(rec.command))).toBe(true);
}

describe('real mongod log lines (test/fixtures/ingest/log-lines.yaml)', () => {
  it('every case names its source, and every log version has cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
    for (const c of cases) expect(c.source, c.name).toMatch(/\S{8,}/);
    for (const v of ['4.0 text', '4.2 text', '4.4 JSON', '5.0', '6.0', '7.0 JSON', '8.0 JSON']) expect(cases.some((c) => c.name.includes(v)), v).toBe(true);
  });

  for (const c of cases) {
    it(c.name, () => {
      if (c.lines) {
        const want = c.expect as Expect[];
        const recs = ingestLines(c.lines);
        expect(recs.map((r) => `${r.cmd} ${r.notReplayable ?? 'replayable'}`)).toHaveLength(want.length);
        recs.forEach((r, i) => check(r, want[i]!));
        // Numbered in the order they come out.
        expect(recs.map((r) => r.seq)).toEqual(recs.map((_, i) => i));
        return;
      }
      const e = c.expect as Expect;
      const r = parseLogLine(c.line!);
      expect(r.kind).toBe(e.kind);
      if (r.kind !== 'op') return;
      const recs = ingestLines([c.line!]);
      expect(recs).toHaveLength(1);
      check(recs[0]!, e);
    });
  }
});
