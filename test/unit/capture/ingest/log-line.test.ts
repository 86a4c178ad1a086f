import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLogLine } from '../../../../harness/capture/ingest/log-line.ts';
import { toRecord } from '../../../../harness/capture/ingest/slow-op.ts';
import { printShell, shellDocArb } from './shell-notation.ts';

/*
 * Lines built here in the servers' formats (research/mongodb-versions.md §3a, §3b), for
 * the cases the real fixtures do not cover: per-statement WRITE entries, logv2's
 * truncation marker, the over-size warning prefix, errors.
 */
describe('parseLogLine: cases built in the documented formats', () => {
  it('4.2 WRITE per-statement update becomes a one-statement update command', () => {
    const line =
      '2021-03-01T10:00:00.123+0000 I  WRITE    [conn42] update shop.jobs appName: "Monolith" command: { q: { state: "pending" }, u: { $set: { state: "running" } }, multi: false, upsert: false } planSummary: IXSCAN { state: 1, priority: -1 } keysExamined:12 docsExamined:12 nMatched:1 nModified:1 writeConflicts:7 numYields:3 locks:{ Global: { acquireCount: { r: 4, w: 4 } } } flowControl:{ acquireCount: 3 } storage:{} 251ms';
    const r = parseLogLine(line);
    expect(r.kind).toBe('op');
    if (r.kind !== 'op') return;
    const rec = toRecord(r.op, 0);
    expect(rec).toMatchObject({ cmd: 'update', db: 'shop', coll: 'jobs', dur: 251_000, app: 'Monolith', conn: 'conn42' });
    expect(rec.notReplayable).toBeUndefined();
    expect((rec.command.updates as unknown[]).length).toBe(1);
    expect(rec.stats).toMatchObject({ planSummary: 'IXSCAN { state: 1, priority: -1 }', writeConflicts: 7, nModified: 1 });
  });

  it('4.2 WRITE remove becomes a delete command with its limit', () => {
    const r = parseLogLine('2021-03-01T10:00:00.123+0000 I  WRITE    [conn9] remove shop.locks command: { q: { _id: "lock-7" }, limit: 1 } planSummary: IDHACK keysExamined:1 docsExamined:1 ndeleted:1 numYields:0 locks:{} 120ms');
    expect(r.kind).toBe('op');
    if (r.kind !== 'op') return;
    const rec = toRecord(r.op, 0);
    expect(rec.cmd).toBe('delete');
    expect(JSON.stringify(rec.command.deletes)).toBe('[{"q":{"_id":"lock-7"},"limit":1}]');
  });

  it('an over-size 4.2 line is kept, marked truncated, with namespace, name and duration', () => {
    const r = parseLogLine(
      '2021-03-01T10:00:00.123+0000 I  COMMAND  [conn3] warning: log line attempted (24kB) over max size (10kB), printing beginning and end ... command shop.orders command: insert { insert: "orders", documents: [ { _id: 1, blob: "xxxxxxxx .......... } ], $db: "shop" } ninserted:1 keysInserted:1 numYields:0 reslen:45 locks:{} protocol:op_msg 310ms',
    );
    expect(r.kind).toBe('op');
    if (r.kind !== 'op') return;
    const rec = toRecord(r.op, 0);
    expect(rec).toMatchObject({ cmd: 'insert', db: 'shop', dur: 310_000, notReplayable: 'truncated' });
  });

  it('4.4+ JSON: per-statement update with writeConflicts, and logv2 truncation', () => {
    const upd =
      '{"t":{"$date":"2023-05-01T00:00:00.000+00:00"},"s":"I","c":"WRITE","id":51803,"ctx":"conn5","msg":"Slow query","attr":{"type":"update","ns":"shop.jobs","appName":"Monolith","command":{"q":{"state":"pending"},"u":{"$set":{"state":"running"}},"multi":false,"upsert":false},"planSummary":"IXSCAN { state: 1 }","keysExamined":1,"docsExamined":1,"nMatched":1,"nModified":1,"writeConflicts":4,"numYields":0,"durationMillis":4}}';
    const a = parseLogLine(upd);
    expect(a.kind).toBe('op');
    if (a.kind === 'op') expect(toRecord(a.op, 0)).toMatchObject({ cmd: 'update', coll: 'jobs', dur: 4000, stats: { writeConflicts: 4 } });
    const cut =
      '{"t":{"$date":"2023-05-01T00:00:00.000+00:00"},"s":"I","c":"COMMAND","id":51803,"ctx":"conn6","msg":"Slow query","attr":{"type":"command","ns":"shop.$cmd","command":{"splitVector":"shop.orders","keyPattern":{"_id":1}},"truncated":{"request":{"splitKeys":{"155":{"_id":{"id":{"type":"binData","size":21}}}}}},"size":{"request":46328},"durationMillis":900}}';
    const b = parseLogLine(cut);
    expect(b.kind).toBe('op');
    if (b.kind === 'op') expect(toRecord(b.op, 0)).toMatchObject({ cmd: 'splitVector', db: 'shop', notReplayable: 'truncated' });
  });

  it('an error outcome becomes the record error', () => {
    const r = parseLogLine(
      '{"t":{"$date":"2023-05-01T00:00:00.000+00:00"},"s":"I","c":"COMMAND","id":51803,"ctx":"conn7","msg":"Slow query","attr":{"type":"command","ns":"shop.orders","command":{"find":"orders","filter":{},"sort":{"x":1},"$db":"shop"},"ok":0,"errMsg":"Sort exceeded memory limit","errName":"QueryExceededMemoryLimitNoDiskUseAllowed","errCode":292,"durationMillis":1500}}',
    );
    expect(r.kind).toBe('op');
    if (r.kind === 'op') expect(toRecord(r.op, 0).error).toEqual({ code: 292, codeName: 'QueryExceededMemoryLimitNoDiskUseAllowed', message: 'Sort exceeded memory limit' });
  });

  it('lines that are not operations are skipped', () => {
    for (const line of ['', 'hello', '2024-01-01T00:00:00.000+0000 I  NETWORK  [listener] connection accepted', '{"t":{"$date":"2024-01-01T00:00:00Z"},"s":"I","c":"NETWORK","id":22943,"ctx":"listener","msg":"Connection accepted"}']) {
      expect(parseLogLine(line).kind).toBe('skip');
    }
  });

  it('never throws on garbage or on damaged operation lines', () => {
    const head = '2021-03-01T10:00:00.123+0000 I  COMMAND  [conn1] command a.b command: find ';
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        parseLogLine(s);
        parseLogLine(head + s);
        parseLogLine(`{"msg":"Slow query",${s}`);
      }),
      { numRuns: 1500 },
    );
    fc.assert(
      fc.property(shellDocArb, fc.nat(), (doc, cut) => {
        const line = `${head}${printShell(doc)} numYields:0 reslen:10 locks:{} protocol:op_msg 5ms`;
        const r = parseLogLine(line.slice(0, cut % (line.length + 1)));
        expect(['op', 'bad', 'skip']).toContain(r.kind);
      }),
      { numRuns: 300 },
    );
  });
});
