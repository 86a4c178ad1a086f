import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runIngest } from '../../../harness/capture/ingest/ingest.ts';
import { IngestInputError, oneLine } from '../../../harness/errors.ts';
import { readCapture, readCaptureHeader } from '../../../harness/store/reader.ts';
import type { OperationRecord } from '../../../harness/model/record.ts';
import { runCli } from '../../helpers/cli.ts';
import { testUri, uniqueDbName } from '../../helpers/fresh-db.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-ingest-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function records(file: string): Promise<OperationRecord[]> {
  const out: OperationRecord[] = [];
  for await (const r of readCapture(file)) out.push(r);
  return out;
}

// Single-line cases only (`lines` cases are sequences that pair; ingest-replay-once.test.ts covers them).
const fixtureLines = (parse(readFileSync(new URL('../../fixtures/ingest/log-lines.yaml', import.meta.url), 'utf8')) as { line?: string; expect: { kind: string } }[]).filter(
  (f): f is { line: string; expect: { kind: string } } => f.line !== undefined,
);

describe('mongo-compat ingest --log', () => {
  it('writes a capture from a mixed log (gzip), reports unreadable lines with their numbers', async () => {
    const lines = ['2024-01-01T00:00:00.000+0000 I  NETWORK  [listener] connection accepted from 127.0.0.1:5000 #1 (1 connection now open)', ...fixtureLines.map((f) => f.line)];
    const log = join(dir, 'mongod.log.gz');
    await writeFile(log, gzipSync(`${lines.join('\n')}\n`));
    const out = join(dir, 'log.jsonl.gz');
    const r = await runCli(['ingest', '--log', log, '--out', out, '--app', 'Monolith']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { records: number; issues: number; notReplayable: Record<string, number> };
    const ops = fixtureLines.filter((f) => f.expect.kind === 'op').length;
    expect(summary.records).toBe(ops);
    expect(summary.issues).toBe(fixtureLines.filter((f) => f.expect.kind === 'bad').length);
    // The SERVER-115986 line is line 1 + its index in the fixtures.
    const badIndex = fixtureLines.findIndex((f) => f.expect.kind === 'bad');
    expect(r.stderr).toContain(`${log}:${badIndex + 2}: MC_INGEST_UNPARSEABLE_LINE`);
    const recs = await records(out);
    expect(recs).toHaveLength(ops);
    expect(recs.every((x) => x.app === 'Monolith')).toBe(true);
    expect(recs.map((x) => x.seq)).toEqual(recs.map((_, i) => i));
    const header = await readCaptureHeader(out);
    expect(header.source.kind).toBe('log');
    expect(header.replyMode).toBe('none');
  });

  it('a log without operations: one line, non-zero exit, no file', async () => {
    const log = join(dir, 'quiet.log');
    await writeFile(log, '2024-01-01T00:00:00.000+0000 I  NETWORK  [listener] waiting for connections on port 27017\n');
    const out = join(dir, 'quiet.jsonl.gz');
    const r = await runCli(['ingest', '--log', log, '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/MC_INGEST_NO_OPERATIONS: .*quiet\.log: no slow-operation lines found/);
    expect(r.stdout).toBe('');
  });

  it('a missing log file is a typed one-line error', async () => {
    const err = await runIngest({ source: { kind: 'log', files: [join(dir, 'nope.log')] }, out: join(dir, 'x.gz') }).catch((e: unknown) => e);
    expect(oneLine(err)).toMatch(/^MC_INGEST_INPUT: .*nope\.log: cannot read log file \(ENOENT\)$/);
  });
});

describe('mongo-compat ingest --profile (documents inserted into a real server)', () => {
  const db = uniqueDbName('prof');
  let client: MongoClient;
  beforeAll(async () => {
    client = new MongoClient(testUri(), { serverSelectionTimeoutMS: 10_000 });
    await client.connect();
    // Entries of both shapes, with commands free of $-prefixed names: FerretDB refuses
    // to store field names starting with '$' (MongoDB 5.0+ accepts them), so the
    // $-heavy manual examples stay in the pure fixture test (profile-entries.yaml).
    const Long = (n: number) => BSON.Long.fromNumber(n);
    const entries: BSON.Document[] = [
      // Older than --since: left out.
      { op: 'command', ns: `${db}.old`, command: { count: 'old' }, millis: new BSON.Int32(1), ts: new Date('2010-01-01T00:00:00Z') },
      // 4.2 shape: op "query", queryHash, NumberLong locks, no $db.
      {
        op: 'query', ns: `${db}.report`, command: { find: 'report', filter: { a: 500 } }, cursorid: Long(33629063128), keysExamined: 101, docsExamined: 101,
        numYield: 2, nreturned: 101, queryHash: '811451DD', planCacheKey: '759981BA', locks: { Global: { acquireCount: { r: Long(3) } } },
        responseLength: 1305014, protocol: 'op_msg', millis: 69132, planSummary: 'IXSCAN { a: 1, _id: -1 }', ts: new Date('2019-01-14T16:57:33.450Z'),
        client: '127.0.0.1', appName: 'MongoDB Shell', allUsers: [], user: '',
      },
      // 6.0+ shape: per-statement update, planningTimeMicros, cpuNanos.
      {
        op: 'update', ns: `${db}.report`, command: { q: { a: 1 }, u: { b: 2 }, multi: false, upsert: false }, keysExamined: 0, docsExamined: 25000, nMatched: 1, nModified: 1,
        numYield: 6, millis: 164, planningTimeMicros: 129, cpuNanos: Long(1200000), planSummary: 'COLLSCAN', ts: new Date('2024-01-14T23:33:01.806Z'),
        client: '127.0.0.1', appName: 'Monolith',
      },
      // No millis (a projected copy): kept with no duration.
      { op: 'command', ns: `${db}.x`, command: { ping: 1 }, ts: new Date('2024-02-01T00:00:00Z') },
    ];
    await client.db(db).collection('profile_copy').insertMany(entries);
  });
  afterAll(async () => {
    await client.db(db).dropDatabase().catch(() => undefined);
    await client.close();
  });

  it('reads the collection with the driver, oldest first, from --since on', async () => {
    const out = join(dir, 'profile.jsonl.gz');
    const r = await runCli(['ingest', '--profile', testUri(), '--db', db, '--collection', 'profile_copy', '--since', '2015-01-01T00:00:00Z', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const recs = await records(out);
    expect(recs.map((x) => x.cmd)).toEqual(['find', 'update', 'ping']);
    expect(recs.map((x) => x.dur)).toEqual([69132000, 164000, null]);
    expect(recs.map((x) => x.app)).toEqual(['MongoDB Shell', 'Monolith', undefined]);
    expect(recs[0]!.stats).toMatchObject({ queryHash: '811451DD', keysExamined: 101 });
    expect(recs[1]!.stats).toMatchObject({ planningTimeMicros: 129, cpuNanos: 1200000 });
    expect(recs[1]!.command.updates).toEqual([{ q: { a: new BSON.Int32(1) }, u: { b: new BSON.Int32(2) }, multi: false, upsert: false }]);
    expect(recs.every((x) => x.notReplayable === undefined)).toBe(true);
    const header = await readCaptureHeader(out);
    expect(header.source.kind).toBe('profile');
    expect(header.source.host).toBeDefined();
    expect(header.serverVersion).toMatch(/^\d+\.\d+/);
  });

  it('an unreachable server is a typed error naming the (redacted) server', async () => {
    const uri = 'mongodb://user:secret@127.0.0.1:1/?serverSelectionTimeoutMS=300';
    const err = await runIngest({ source: { kind: 'profile', uri, db, collection: 'profile_copy' }, out: join(dir, 'u.gz') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestInputError);
    expect(oneLine(err)).toMatch(/^MC_INGEST_INPUT: mongodb:\/\/.*127\.0\.0\.1:1\/.*cannot connect/);
    expect(oneLine(err)).not.toContain('secret');
  });
});
