import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../../harness/capture/ingest/ingest.ts';
import { readRunOutcomes } from '../../../harness/model/run/reader.ts';
import { replay } from '../../../harness/replay/run.ts';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';

/*
 * A log as servers write it (formats: test/fixtures/ingest/log-lines.yaml): every
 * update logged twice (the statement by WRITE, the command by COMMAND; write_ops_exec.cpp),
 * operations the server ran itself, and a createUser whose password was logged as "xxx".
 * Each application write is an upsert with `$inc: {n: 1}`, so the documents written
 * count how many times each was applied.
 */
const TEXT_42 = [
  // conn1: OP_MSG update, the command line without `updates`.
  '2020-09-10T11:00:00.100+0000 I  WRITE    [conn1] update shop.counters appName: "api" command: { q: { _id: "a" }, u: { $inc: { n: 1 } }, multi: false, upsert: true } planSummary: IDHACK keysExamined:0 docsExamined:0 nMatched:0 nModified:0 upsert:1 numYields:0 locks:{} 120ms',
  '2020-09-10T11:00:00.101+0000 I  COMMAND  [conn1] command shop.$cmd appName: "api" command: update { update: "counters", ordered: true, $db: "shop" } numYields:0 reslen:100 locks:{} protocol:op_msg 121ms',
  // conn3: a body-array update (statements printed in the command line).
  '2020-09-10T11:00:01.000+0000 I  WRITE    [conn3] update shop.counters command: { q: { _id: "c" }, u: { $inc: { n: 1 } }, multi: false, upsert: true } planSummary: IDHACK keysExamined:0 docsExamined:0 nMatched:0 nModified:0 upsert:1 numYields:0 locks:{} 130ms',
  '2020-09-10T11:00:01.001+0000 I  COMMAND  [conn3] command shop.$cmd command: update { update: "counters", ordered: true, updates: [ { q: { _id: "c" }, u: { $inc: { n: 1 } }, multi: false, upsert: true } ], $db: "shop" } numYields:0 reslen:100 locks:{} protocol:op_query 131ms',
  // conn4: a slow statement whose command was not slow: replayed on its own.
  '2020-09-10T11:00:02.000+0000 I  WRITE    [conn4] update shop.counters command: { q: { _id: "a" }, u: { $inc: { n: 1 } }, multi: false, upsert: true } planSummary: IDHACK keysExamined:1 docsExamined:1 nMatched:1 nModified:1 numYields:0 locks:{} 140ms',
  '2020-09-10T11:00:02.500+0000 I  COMMAND  [conn4] command shop.counters command: count { count: "counters", query: {}, $db: "shop" } planSummary: COUNT numYields:0 reslen:44 locks:{} protocol:op_msg 101ms',
  // The server's own: a connection from another member, the TTL monitor, the session cache.
  '2020-09-10T11:00:03.000+0000 I  NETWORK  [conn5] received client metadata from 10.0.0.2:40000 conn5: { driver: { name: "NetworkInterfaceTL", version: "4.2.8" }, os: { type: "Linux" } }',
  '2020-09-10T11:00:03.100+0000 I  WRITE    [conn5] update shop.counters command: { q: { _id: "a" }, u: { $inc: { n: 100 } }, multi: false, upsert: true } planSummary: IDHACK keysExamined:1 docsExamined:1 nMatched:1 nModified:1 numYields:0 locks:{} 150ms',
  '2020-09-10T11:00:03.101+0000 I  COMMAND  [conn5] command shop.$cmd command: update { update: "counters", ordered: true, $db: "shop" } numYields:0 reslen:100 locks:{} protocol:op_msg 151ms',
  '2020-09-10T11:00:04.000+0000 I  WRITE    [TTLMonitor] remove shop.counters command: { q: { _id: "b" }, limit: 0 } planSummary: IDHACK keysExamined:1 docsExamined:1 ndeleted:1 numYields:0 locks:{} 160ms',
  // A redacted createUser.
  '2020-09-10T11:00:05.000+0000 I  COMMAND  [conn6] command admin.$cmd appName: "MongoDB Shell" command: createUser { createUser: "app", pwd: "xxx", roles: [], digestPassword: true, $db: "admin" } numYields:0 reslen:38 locks:{} protocol:op_msg 170ms',
];

const JSON_44 = [
  // conn12: OP_MSG update on 4.4, statement then command.
  '{"t":{"$date":"2021-05-01T10:00:00.200+00:00"},"s":"I",  "c":"WRITE",    "id":51803,   "ctx":"conn12","msg":"Slow query","attr":{"type":"update","ns":"shop.counters","appName":"worker","command":{"q":{"_id":"b"},"u":{"$inc":{"n":1}},"multi":false,"upsert":true},"planSummary":"IDHACK","keysExamined":0,"docsExamined":0,"nMatched":0,"nModified":0,"upsert":true,"numYields":0,"durationMillis":120}}',
  '{"t":{"$date":"2021-05-01T10:00:00.201+00:00"},"s":"I",  "c":"COMMAND",  "id":51803,   "ctx":"conn12","msg":"Slow query","attr":{"type":"command","ns":"shop.counters","appName":"worker","command":{"update":"counters","ordered":true,"$db":"shop"},"numYields":0,"reslen":60,"protocol":"op_msg","durationMillis":121}}',
  '{"t":{"$date":"2021-05-01T10:00:01.000+00:00"},"s":"I",  "c":"COMMAND",  "id":51803,   "ctx":"LogicalSessionCacheRefresh","msg":"Slow query","attr":{"type":"command","ns":"config.system.sessions","command":{"createIndexes":"system.sessions","indexes":[{"key":{"lastUse":1},"name":"lsidTTLIndex","expireAfterSeconds":1800}],"$db":"config"},"numYields":0,"reslen":114,"protocol":"op_msg","durationMillis":161}}',
];

describe('a capture ingested from logs replays each application write once (FerretDB)', () => {
  let server: FerretDbInstance;
  let work: string;

  beforeAll(async () => {
    server = await startFerretDb({ name: 'once', replicaSet: false });
    work = await mkdtemp(join(tmpdir(), 'mc-ingest-once-'));
  });

  afterAll(async () => {
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('sends every application write once, nothing the server ran itself, and no createUser', async () => {
    const text = join(work, 'mongod-4.2.log');
    const json = join(work, 'mongod-4.4.log');
    await writeFile(text, `${TEXT_42.join('\n')}\n`);
    await writeFile(json, `${JSON_44.join('\n')}\n`);
    const capture = join(work, 'capture.jsonl.gz');
    const ingest = await runIngest({ source: { kind: 'log', files: [text, json] }, out: capture });
    expect(ingest.notReplayable).toMatchObject({ duplicate: 3, internal: 4, credentials: 1 });
    expect(ingest.internal).toEqual({ 'internal-client': 2, ttl: 1, 'session-cache': 1 });

    const out = join(work, 'run');
    const { run } = await replay({ captures: [capture], baselines: [`A=${server.uri}`], candidates: [], out, allowWrites: true, concurrency: 1 });
    expect(run.counts.records).toBe(ingest.records);

    const client = new MongoClient(server.uri);
    try {
      const docs = await client.db('shop').collection<{ _id: string; n: number }>('counters').find({}).sort({ _id: 1 }).toArray();
      // a: conn1's command and conn4's lone statement; b: conn12 (the TTL delete is not replayed); c: conn3.
      expect(docs.map((d) => [d._id, d.n])).toEqual([
        ['a', 2],
        ['b', 1],
        ['c', 1],
      ]);
    } finally {
      await client.close();
    }
    // Sent: an outcome some target ran (skipped records are listed with their reason).
    const sent: string[] = [];
    for await (const o of readRunOutcomes(out)) if (Object.values(o.targets).some((t) => t.status !== 'skipped')) sent.push(o.cmd);
    expect(sent).not.toContain('createUser');
    expect(sent.filter((c) => c === 'update')).toHaveLength(4);
    expect(run.counts.skipped).toMatchObject({ credentials: 1, duplicate: 3, internal: 4 });
  });
});
