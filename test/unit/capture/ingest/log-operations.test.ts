import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseLogLine } from '../../../../harness/capture/ingest/log-line.ts';
import { LogOperations } from '../../../../harness/capture/ingest/log-operations.ts';
import { parseProfileEntry } from '../../../../harness/capture/ingest/profile.ts';
import { toRecord } from '../../../../harness/capture/ingest/slow-op.ts';
import { newCounters, Tally } from '../../../../harness/capture/ingest/summary.ts';
import { CompatError } from '../../../../harness/errors.ts';
import type { OperationRecord } from '../../../../harness/model/record.ts';

const fixtureLines = (parse(readFileSync(new URL('../../../fixtures/ingest/log-lines.yaml', import.meta.url), 'utf8')) as { line?: string; lines?: string[] }[]).flatMap((c) => c.lines ?? [c.line!]);

const statement = (conn: string, i: number): string =>
  `2020-09-10T11:00:00.${String(i % 1000).padStart(3, '0')}+0000 I  WRITE    [${conn}] update shop.jobs command: { q: { _id: ${i} }, u: { $set: { s: 1 } }, multi: false, upsert: false } planSummary: IDHACK keysExamined:1 docsExamined:1 nMatched:1 nModified:1 numYields:0 locks:{} 120ms`;
const command = (conn: string): string =>
  `2020-09-10T11:00:01.000+0000 I  COMMAND  [${conn}] command shop.$cmd command: update { update: "jobs", ordered: true, $db: "shop" } numYields:0 reslen:45 locks:{} protocol:op_msg 500ms`;
const find = (conn: string): string =>
  `2020-09-10T11:00:01.000+0000 I  COMMAND  [${conn}] command shop.jobs command: find { find: "jobs", filter: {}, $db: "shop" } planSummary: COLLSCAN numYields:0 reslen:45 locks:{} protocol:op_msg 200ms`;

function run(lines: readonly string[]): OperationRecord[] {
  const ops = new LogOperations(newCounters());
  const out: OperationRecord[] = [];
  for (const l of lines) {
    const r = parseLogLine(l);
    if (r.kind !== 'bad' && r.kind !== 'skip') out.push(...ops.push(r));
  }
  return [...out, ...ops.end()];
}

/** Every application write, once: what a replay with writes allowed would apply. */
function replayedWrites(recs: OperationRecord[]): string[] {
  return recs.filter((r) => r.notReplayable === undefined).flatMap((r) => ((r.command.updates as BSON.Document[] | undefined) ?? []).map((u) => JSON.stringify(u.q)));
}

describe('LogOperations: each logged write replayable once', () => {
  it('statements of one command, interleaved with other connections, replay once through their command', () => {
    const recs = run([statement('conn1', 1), find('conn2'), statement('conn1', 2), statement('conn3', 3), command('conn1'), command('conn3')]);
    expect(replayedWrites(recs).sort()).toEqual(['{"_id":1}', '{"_id":2}', '{"_id":3}']);
    expect(recs.filter((r) => r.notReplayable === 'duplicate')).toHaveLength(3);
    expect(recs.map((r) => r.seq)).toEqual(recs.map((_, i) => i));
  });

  it('a statement whose command never comes is replayed on its own, at the next line of its connection or at the end', () => {
    const recs = run([statement('conn1', 1), find('conn1'), statement('conn2', 2)]);
    expect(replayedWrites(recs).sort()).toEqual(['{"_id":1}', '{"_id":2}']);
    expect(recs.some((r) => r.notReplayable === 'duplicate')).toBe(false);
  });

  it('memory is bounded: past the pending limit the oldest connection goes out on its own', () => {
    const lines: string[] = [];
    for (let i = 0; i < 10_050; i++) lines.push(statement(`conn${i}`, i));
    const ops = new LogOperations(newCounters());
    let early = 0;
    for (const l of lines) {
      const r = parseLogLine(l);
      if (r.kind === 'op') early += ops.push(r).length;
    }
    expect(early).toBeGreaterThanOrEqual(50);
    expect(early + ops.end().length).toBe(10_050);
  });

  it('the window is bounded in lines too: a statement left waiting goes out after 100 000 lines', () => {
    const ops = new LogOperations(newCounters());
    const first = parseLogLine(statement('conn1', 1));
    expect(ops.push(first)).toHaveLength(0);
    const skip = { kind: 'skip' } as const;
    let out = 0;
    for (let i = 0; i < 100_001 && out === 0; i++) out += ops.push(skip).length;
    expect(out).toBe(1);
  });

  it('a restart forgets the server connections: the same number is a new client', () => {
    const meta = '2020-07-01T00:00:00.000+0000 I  NETWORK  [conn1] received client metadata from 10.0.0.2:40000 conn1: { driver: { name: "NetworkInterfaceTL", version: "4.2.8" } }';
    const restart = '2020-07-01T00:00:05.000+0000 I  CONTROL  [main] ***** SERVER RESTARTED *****';
    const recs = run([meta, find('conn1'), restart, find('conn1')]);
    expect(recs.map((r) => r.notReplayable ?? 'replayable')).toEqual(['internal', 'replayable']);
  });

  it('a batch the log shows as a count, not as documents, is not replayable', () => {
    const line =
      '{"t":{"$date":"2023-05-01T00:00:00.000+00:00"},"s":"I","c":"COMMAND","id":51803,"ctx":"conn4","msg":"Slow query","attr":{"type":"command","ns":"shop.events","command":{"insert":"events","documents":3,"ordered":true,"$db":"shop"},"ninserted":3,"durationMillis":150}}';
    expect(run([line]).map((r) => r.notReplayable)).toEqual(['missing-fields']);
  });

  it('the ingest summary counts internal records by kind and commands under one spelling', () => {
    const t = new Tally();
    const base = { seq: 0, t: 0, dur: 1, conn: 'c', db: 'q', op: 'OP_MSG' as const };
    t.add({ ...base, cmd: 'findandmodify', command: { findandmodify: 'jobs' } });
    t.add({ ...base, cmd: 'findAndModify', command: { findAndModify: 'jobs' } });
    t.add({ ...base, cmd: 'delete', command: { delete: 'x' }, notReplayable: 'internal', stats: { internal: 'ttl' } });
    const s = t.summary(0);
    expect(s.commands).toEqual({ findAndModify: 2, delete: 1 });
    expect(s.internal).toEqual({ ttl: 1 });
  });
});

describe('ingest never throws on garbage (property)', () => {
  const onlyTyped = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(CompatError);
    }
  };

  it('any string as a log line, alone or among real lines', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom(...fixtureLines), fc.tuple(fc.constantFrom(...fixtureLines), fc.nat()).map(([l, n]) => l.slice(0, n % (l.length + 1)))), { maxLength: 12 }), (lines) => {
        onlyTyped(() => {
          const recs = run(lines);
          for (const r of recs) expect(typeof r.seq).toBe('number');
        });
      }),
      { numRuns: 800 },
    );
  });

  it('any document as a profile entry', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.string({ maxLength: 8 }),
        fc.double(),
        fc.integer().map((n) => new BSON.Int32(n | 0)),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => BSON.Long.fromBigInt(n)),
        fc.date({ noInvalidDate: true }),
        fc.constant(null),
        fc.constantFrom('###', 'xxx', 'getmore', 'query', 'update', 'command', 'a.b', 'local.oplog.rs', '__system@local', '$truncated'),
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('op', 'ns', 'command', 'query', 'updateobj', 'millis', 'ts', 'client', 'user', 'allUsers', 'originatingCommand', '$truncated', 'q', 'u', 'find', 'getMore', 'pwd', 'x'), tie('v'), { maxKeys: 5 }),
      ),
    }));
    const entry = fc.dictionary(fc.constantFrom('op', 'ns', 'command', 'query', 'updateobj', 'millis', 'ts', 'client', 'user', 'allUsers', 'originatingCommand', 'appName', 'cursorid'), value.v, { maxKeys: 8 });
    fc.assert(
      fc.property(entry, (doc) => {
        onlyTyped(() => {
          const r = parseProfileEntry(doc as BSON.Document);
          expect(['op', 'bad', 'skip']).toContain(r.kind);
          if (r.kind === 'op') toRecord(r.op, 0);
        });
      }),
      { numRuns: 2000 },
    );
  });
});
