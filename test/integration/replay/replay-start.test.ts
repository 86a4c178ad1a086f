import { open, mkdtemp, rm, truncate, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { LOOK_RECORDS, replay, type ReplayProgress } from '../../../harness/replay/run.ts';
import { readRunOutcomes } from '../../../harness/model/run/reader.ts';
import { openCaptureWriter } from '../../../harness/store/writer.ts';
import { readCaptureFooter } from '../../../harness/store/reader.ts';
import type { OperationRecord } from '../../../harness/model/record.ts';
import { PreflightMismatchError } from '../../../harness/errors.ts';

/**
 * A replay starts without a pass over the capture: the progress total comes from the
 * footers, pre-flight looks at the first LOOK_RECORDS records, and collections first met
 * later are checked once the replay is over when it did not write them.
 */
const DB = 'start';
const { Int32 } = BSON;

/**
 * LOOK_RECORDS records the replay skips at once (not replayable) on collection `early`,
 * then a find on `late` (met only after the look) and an insert into `late_written`.
 */
async function writeCapture(path: string): Promise<number> {
  const w = await openCaptureWriter(path, { app: 'start', source: { kind: 'proxy', host: 'prod-db-1.example:27017' }, startedAt: new Date().toISOString(), redaction: { mode: 'none' }, replyMode: 'full' });
  const t0 = Date.now() * 1000;
  let seq = 0;
  const base = (conn: string) => ({ seq, t: t0 + seq, dur: 10, conn, app: 'start', db: DB, op: 'OP_MSG' as const });
  for (; seq < LOOK_RECORDS; seq++) {
    const rec: OperationRecord = { ...base(`c:${seq % 4}`), coll: 'early', cmd: 'find', command: { find: 'early', filter: {}, $db: DB }, notReplayable: 'truncated' };
    while (!w.write(rec)) await w.drain();
  }
  w.write({ ...base('c:0'), coll: 'late', cmd: 'find', command: { find: 'late', filter: {}, $db: DB } });
  seq++;
  w.write({ ...base('c:1'), coll: 'late_written', cmd: 'insert', command: { insert: 'late_written', documents: [{ _id: new Int32(1) }], $db: DB } });
  seq++;
  await w.close();
  return seq;
}

async function seed(uri: string, lateName: string): Promise<void> {
  const c = new MongoClient(uri);
  try {
    const db = c.db(DB);
    await db.dropDatabase();
    await db.collection<BSON.Document>('early').insertOne(<BSON.Document>{ _id: new Int32(1) });
    await db.collection<BSON.Document>('late').insertOne(<BSON.Document>{ _id: new Int32(1), name: lateName });
  } finally {
    await c.close();
  }
}

describe('replay start-up without a pass over the capture', () => {
  let a: FerretDbInstance;
  let b: FerretDbInstance;
  let work: string;
  let capture: string;
  let records: number;

  beforeAll(async () => {
    [a, b] = await Promise.all([startFerretDb({ name: 'start-a', replicaSet: false }), startFerretDb({ name: 'start-b', replicaSet: false })]);
    work = await mkdtemp(join(tmpdir(), 'mc-replay-start-'));
    capture = join(work, 'capture.jsonl.gz');
    records = await writeCapture(capture);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('takes the progress total from the footer before the first operation, and gives every record an outcome', async () => {
    await Promise.all([seed(a.uri, 'same'), seed(b.uri, 'same')]);
    expect((await readCaptureFooter(capture))?.records).toBe(records);
    const seen: ReplayProgress[] = [];
    const dir = join(work, 'run-same');
    const { run } = await replay({ captures: [capture], baselines: [`A=${a.uri}`], candidates: [`B=${b.uri}`], out: dir, allowWrites: true, onProgress: (p) => seen.push(p), progressIntervalMs: 5 });
    expect(run.status).toBe('complete');
    expect(seen[0]).toMatchObject({ total: records, totalExact: true });
    expect(seen.at(-1)).toMatchObject({ done: records, total: records, totalExact: true });
    let outcomes = 0;
    for await (const _ of readRunOutcomes(dir)) outcomes++;
    expect(outcomes).toBe(records);
    // `early` before the replay, `late` after it (the replay did not write it); `late_written` not checked.
    expect(run.preflight).toMatchObject({ alike: true, namespaces: 2 });
    expect(run.notes.some((n) => n.includes('were written by the replay and not checked'))).toBe(true);
    // Written collections are gathered while replaying and read back at the end.
    expect(run.state?.namespaces).toBe(1);
  });

  it('checks a collection first met after the look once the replay is over, and --strict-preflight fails on it', async () => {
    await Promise.all([seed(a.uri, 'one'), seed(b.uri, 'other')]);
    const { run } = await replay({ captures: [capture], baselines: [`A=${a.uri}`], candidates: [`B=${b.uri}`], out: join(work, 'run-late') });
    expect(run.preflight?.alike).toBe(false);
    expect(run.preflight?.mismatches.some((m) => m.startsWith(`${DB}.late:`))).toBe(true);
    expect(run.notes.some((n) => n.includes('after the replay') && n.includes(`${DB}.late`))).toBe(true);
    await expect(replay({ captures: [capture], baselines: [`A=${a.uri}`], candidates: [`B=${b.uri}`], out: join(work, 'run-strict'), strictPreflight: true })).rejects.toBeInstanceOf(PreflightMismatchError);
  });

  it('counts as it reads a capture whose writer never closed it (no footer): the total is exact at the end', async () => {
    const cut = join(work, 'cut.jsonl.gz');
    const bytes = await readFile(capture);
    // The footer is the file's last gzip member (captures/FORMAT.md): cut the file where it starts.
    const head = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00]);
    const fh = await open(cut, 'w');
    await fh.write(bytes);
    await fh.close();
    await truncate(cut, bytes.lastIndexOf(head));
    expect(await readCaptureFooter(cut)).toBeUndefined();
    await Promise.all([seed(a.uri, 'same'), seed(b.uri, 'same')]);
    const seen: ReplayProgress[] = [];
    const { run } = await replay({ captures: [cut], baselines: [`A=${a.uri}`], candidates: [], out: join(work, 'run-cut'), onProgress: (p) => seen.push(p), progressIntervalMs: 5 });
    expect(run.status).toBe('complete');
    expect(seen[0]!.totalExact).toBe(false);
    expect(seen.at(-1)).toMatchObject({ done: records, total: records, totalExact: true });
  });

  it('replays two proxies\' captures together with their connections apart: each p1:1 opens with its own handshake', async () => {
    await Promise.all([seed(a.uri, 'same'), seed(b.uri, 'same')]);
    const t0 = Date.now() * 1000;
    const files: string[] = [];
    for (const [k, startedAt] of ['2026-12-01T10:00:00.000Z', '2026-12-01T10:00:00.500Z'].entries()) {
      const file = join(work, `proxy-${k + 1}.jsonl.gz`);
      const w = await openCaptureWriter(file, { app: 'start', source: { kind: 'proxy', host: 'prod-db-1.example:27017' }, startedAt, redaction: { mode: 'none' }, replyMode: 'full' });
      // Both proxies name their first connection p1:1 and number from 0; the second's handshake comes after the first's find.
      const base = (seq: number, t: number) => ({ seq, t: t0 + t, dur: 10, conn: 'p1:1', app: 'start', db: DB, op: 'OP_MSG' as const });
      w.write({ ...base(0, k * 10), cmd: 'hello', command: { hello: 1, client: { driver: { name: 'nodejs', version: '6.0' } }, $db: 'admin' } });
      w.write({ ...base(1, k * 10 + 5), coll: 'late', cmd: 'find', command: { find: 'late', filter: {}, $db: DB } });
      await w.close();
      files.push(file);
    }
    const dir = join(work, 'run-two-proxies');
    const { run } = await replay({ captures: files, baselines: [`A=${a.uri}`], candidates: [`B=${b.uri}`], out: dir });
    expect(run.counts.skipped).toEqual({ handshake: 2 });
    const outs = [];
    for await (const o of readRunOutcomes(dir)) outs.push(o);
    expect(outs.map((o) => `${o.seq} ${o.conn} ${o.cmd}`).sort()).toEqual(['0 1/p1:1 hello', '1 1/p1:1 find', '2 2/p1:1 hello', '3 2/p1:1 find']);
    expect(run.counts.differences).toBe(0);
  });
});
