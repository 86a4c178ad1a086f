import { readFileSync } from 'node:fs';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseProfileEntry } from '../../../../harness/capture/ingest/profile.ts';
import { parseShellJson } from '../../../../harness/capture/ingest/shell-json.ts';
import { toRecord } from '../../../../harness/capture/ingest/slow-op.ts';

interface Case {
  name: string;
  source: string;
  doc: string;
  expect: {
    cmd: string;
    db: string;
    coll?: string;
    /** null: the entry has no `millis`. */
    durMs: number | null;
    app?: string;
    client?: string;
    replayable: boolean;
    reason?: string;
    endedAt?: string;
    stats?: Record<string, unknown>;
    paths?: Record<string, unknown>;
  };
}

const cases = parse(readFileSync(new URL('../../../fixtures/ingest/profile-entries.yaml', import.meta.url), 'utf8')) as Case[];

function at(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[part];
  return cur;
}

describe('system.profile entries of 4.0 to 8.0 shape (test/fixtures/ingest/profile-entries.yaml)', () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(c.source.length).toBeGreaterThan(20);
      const parsed = parseShellJson(c.doc);
      if (!parsed.ok) throw new Error(`fixture does not parse: ${parsed.error} at ${parsed.at}`);
      const r = parseProfileEntry(parsed.value as BSON.Document);
      if (r.kind !== 'op') throw new Error(`expected an operation, got ${r.kind}`);
      const rec = toRecord(r.op, 7);
      const e = c.expect;
      expect(rec.seq).toBe(7);
      expect(rec.cmd).toBe(e.cmd);
      expect(rec.db).toBe(e.db);
      if (e.coll) expect(rec.coll).toBe(e.coll);
      expect(rec.dur).toBe(e.durMs === null ? null : e.durMs * 1000);
      if (e.app) expect(rec.app).toBe(e.app);
      if (e.client) expect(rec.client).toBe(e.client);
      expect(rec.notReplayable === undefined).toBe(e.replayable);
      if (e.reason) expect(rec.notReplayable).toBe(e.reason);
      // ts is when the entry was written, at the end: the record starts `millis` earlier.
      if (e.endedAt) expect(rec.t).toBe(Date.parse(e.endedAt) * 1000 - (e.durMs ?? 0) * 1000);
      for (const [k, v] of Object.entries(e.stats ?? {})) expect(rec.stats?.[k], `stats.${k}`).toEqual(v);
      for (const [p, v] of Object.entries(e.paths ?? {})) expect(String(at(rec.command, p)), p).toBe(String(v));
      // Bulky sub-documents never reach stats.
      expect(rec.stats?.locks).toBeUndefined();
      expect(rec.stats?.execStats).toBeUndefined();
    });
  }

  it('an entry without ns is reported; one without millis is kept with no duration', () => {
    expect(parseProfileEntry({ op: 'query', millis: 3 }).kind).toBe('bad');
    const r = parseProfileEntry({ op: 'query', ns: 'a.b', command: { find: 'b' } });
    expect(r.kind).toBe('op');
    if (r.kind === 'op') expect(toRecord(r.op, 0).dur).toBeNull();
  });
});
