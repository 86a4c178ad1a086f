import { readFileSync } from 'node:fs';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseLogLine } from '../../../../harness/capture/ingest/log-line.ts';
import { toRecord } from '../../../../harness/capture/ingest/slow-op.ts';

interface Case {
  name: string;
  source: string;
  line: string;
  expect: {
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
    stats?: Record<string, unknown>;
    paths?: Record<string, unknown>;
  };
}

const cases = parse(readFileSync(new URL('../../../fixtures/ingest/log-lines.yaml', import.meta.url), 'utf8')) as Case[];

function at(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[part];
  return cur;
}

describe('real mongod log lines (test/fixtures/ingest/log-lines.yaml)', () => {
  it('every case names its source', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
    for (const c of cases) expect(c.source, c.name).toMatch(/\S{8,}/);
  });

  for (const c of cases) {
    it(c.name, () => {
      const r = parseLogLine(c.line);
      expect(r.kind).toBe(c.expect.kind);
      if (r.kind !== 'op') return;
      const rec = toRecord(r.op, 0);
      const e = c.expect;
      expect(rec.cmd).toBe(e.cmd);
      expect(rec.db).toBe(e.db);
      if (e.coll) expect(rec.coll).toBe(e.coll);
      expect(rec.dur).toBe(e.durMs! * 1000);
      if (e.app) expect(rec.app).toBe(e.app);
      if (e.conn) expect(rec.conn).toBe(e.conn);
      if (e.client) expect(rec.client).toBe(e.client);
      expect(rec.notReplayable === undefined).toBe(e.replayable);
      if (e.reason) expect(rec.notReplayable).toBe(e.reason);
      for (const [k, v] of Object.entries(e.stats ?? {})) expect(rec.stats?.[k], `stats.${k}`).toEqual(v);
      for (const [p, v] of Object.entries(e.paths ?? {})) expect(String(at(rec.command, p)), p).toBe(String(v));
      // The record starts when the operation started: log time minus duration.
      expect(rec.t).toBeGreaterThan(Date.UTC(2016, 0, 1) * 1000);
      // Every value must survive canonical Extended JSON (the store's on-disk form).
      const back = BSON.EJSON.parse(BSON.EJSON.stringify(rec.command, { relaxed: false }), { relaxed: false });
      expect(Buffer.from(BSON.serialize(back as BSON.Document)).equals(BSON.serialize(rec.command))).toBe(true);
    });
  }
});
