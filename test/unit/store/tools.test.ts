import { fc, test as propTest } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { summariseCapture } from '../../../harness/store/info.ts';
import { formatSummary } from '../../../harness/store/summary.ts';
import { mergeCaptures } from '../../../harness/store/merge.ts';
import { groupRecordings, mergeRecordings, readRecordings } from '../../../harness/store/captures.ts';
import type { OperationRecord } from '../../../harness/model/record.ts';
import { readCaptureHeader } from '../../../harness/store/reader.ts';
import { connectionShard, splitCapture } from '../../../harness/store/split.ts';
import { openCaptureWriter } from '../../../harness/store/writer.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { HEADER, readAll, sampleRecord, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;
const fresh = (name = 'c'): string => tmp.path(`${name}${n++}.jsonl.gz`);

async function writeCapture(count: number, conns = 7): Promise<string> {
  const file = fresh();
  const w = await openCaptureWriter(file, HEADER);
  for (let i = 0; i < count; i++) w.write(sampleRecord(i, `conn${(i * 7919) % conns}`));
  await w.close();
  return file;
}

describe('connectionShard', () => {
  it('is FNV-1a: stable across runs and machines, so stored shard sets never reshuffle', () => {
    // Published FNV-1a 32-bit test vectors (draft-eastlake-fnv, section 8.2 / isthe.com).
    expect(connectionShard('', 2 ** 32)).toBe(0x811c9dc5);
    expect(connectionShard('a', 2 ** 32)).toBe(0xe40c292c);
    expect(connectionShard('foobar', 2 ** 32)).toBe(0xbf9cf968);
    expect(connectionShard('foobar', 4)).toBe(0xbf9cf968 % 4);
  });

  propTest.prop([fc.string(), fc.integer({ min: 1, max: 64 })])('always lands in range', (conn, shards) => {
    const s = connectionShard(conn, shards);
    expect(s).toBeGreaterThanOrEqual(0);
    expect(s).toBeLessThan(shards);
  });
});

describe('capture split and merge', () => {
  it('splits by connection, keeps each connection whole and in order, and merge restores the capture exactly', async () => {
    const input = await writeCapture(500);
    const out = tmp.path(`shards${n++}`);
    const split = await splitCapture([input], { shards: 3, outDir: out });
    expect(split.files).toHaveLength(3);
    expect(split.records.reduce((a, b) => a + b, 0)).toBe(500);
    const connsPerShard = await Promise.all(split.files.map(async (f) => new Set((await readAll(f)).records.map((r) => r.conn))));
    for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) expect([...connsPerShard[i]!].filter((c) => connsPerShard[j]!.has(c))).toEqual([]);
    const h = await readCaptureHeader(split.files[1]!);
    expect(h.shard).toEqual({ index: 1, count: 3 });
    expect(h.app).toBe('monolith');

    const merged = fresh('merged');
    const result = await mergeCaptures(split.files, { out: merged });
    expect(result.order).toBe('seq');
    const original = (await readAll(input)).records;
    const back = (await readAll(merged)).records;
    expect(back.map((r) => r.seq)).toEqual(original.map((r) => r.seq));
    expect(back.map((r) => r.conn)).toEqual(original.map((r) => r.conn));
    expect((await readCaptureHeader(merged)).shard).toBeUndefined();
  });

  it('merges separately recorded captures by start time and renumbers them', async () => {
    const a = fresh();
    const b = fresh();
    const wa = await openCaptureWriter(a, { ...HEADER, app: 'a' });
    const wb = await openCaptureWriter(b, { ...HEADER, app: 'b' });
    for (let i = 0; i < 5; i++) {
      wa.write(sampleRecord(i, 'x', { t: 1000 + i * 10 }));
      wb.write(sampleRecord(i, 'y', { t: 1005 + i * 10 }));
    }
    await Promise.all([wa.close(), wb.close()]);
    const out = fresh('m');
    const res = await mergeCaptures([a, b], { out });
    expect(res.order).toBe('time');
    const recs = (await readAll(out)).records;
    expect(recs.map((r) => r.t)).toEqual([1000, 1005, 1010, 1015, 1020, 1025, 1030, 1035, 1040, 1045]);
    expect(recs.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(recs.map((r) => r.conn)).toEqual(['1/x', '2/y', '1/x', '2/y', '1/x', '2/y', '1/x', '2/y', '1/x', '2/y']);
    const header = await readCaptureHeader(out);
    expect(header.app).toBeUndefined();
    expect(header.source.inputs).toHaveLength(2);
  });

  it('names apart the connections of two proxies, which both number theirs p1:1, p1:2…; the rotated parts of one stay one recording', async () => {
    // Proxy A rotates into parts; proxy B, started a second later, numbers its connections and records alike.
    const a = fresh('a');
    const wa = await openCaptureWriter(a, HEADER, { rotateBytes: 1500, chunkBytes: 500 });
    const b = fresh('b');
    const wb = await openCaptureWriter(b, { ...HEADER, startedAt: '2026-11-26T10:00:01.000Z' });
    for (let i = 0; i < 12; i++) {
      wa.write(sampleRecord(i, `p1:${i % 2}`, { t: 1000 + i * 10 }));
      wb.write(sampleRecord(i, `p1:${i % 2}`, { t: 1005 + i * 10 }));
    }
    await Promise.all([wa.close(), wb.close()]);
    const parts = wa.files;
    expect(parts.length).toBeGreaterThan(1);
    const inputs = [...parts, b];
    expect((await groupRecordings(inputs)).map((g) => g.files)).toEqual([parts, [b]]);
    const read: OperationRecord[] = [];
    for await (const r of readRecordings(inputs)) read.push(r);
    const out = fresh('m');
    await mergeCaptures(inputs, { out });
    const merged = (await readAll(out)).records;
    for (const recs of [read, merged]) {
      expect(recs).toHaveLength(24);
      expect(recs.map((r) => r.seq)).toEqual([...Array(24).keys()]);
      expect(new Set(recs.map((r) => r.conn))).toEqual(new Set(['1/p1:0', '1/p1:1', '2/p1:0', '2/p1:1']));
      // Each recording's operations in their own order, one connection never joined with the other proxy's.
      expect(recs.filter((r) => r.conn === '2/p1:1').map((r) => r.t)).toEqual([1015, 1035, 1055, 1075, 1095, 1115]);
    }
    // capture info counts the two proxies' connections apart.
    expect((await summariseCapture(inputs)).connections).toBe(4);
    // One recording, however many parts: read as it is.
    const one: OperationRecord[] = [];
    for await (const r of readRecordings(parts)) one.push(r);
    expect(one.map((r) => `${r.seq}:${r.conn}`)).toEqual((await readAll(parts)).records.map((r) => `${r.seq}:${r.conn}`));
  });

  const streamOf = async function* (recs: OperationRecord[]): AsyncIterable<OperationRecord> {
    yield* recs;
  };
  propTest.prop([fc.array(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 12 }), { minLength: 1, maxLength: 4 })])(
    'merges recordings by time, stably, keeping each one whole and in order, renumbered and named apart',
    async (gaps) => {
      const inputs = gaps.map((g, k) => {
        let t = 0;
        return g.map((gap, i) => sampleRecord(i, `p1:${i % 2}`, { t: (t += gap), app: `app${k}` }));
      });
      const out: OperationRecord[] = [];
      for await (const r of mergeRecordings(inputs.map(streamOf), 'time')) out.push(r);
      expect(out).toHaveLength(inputs.flat().length);
      expect(out.map((r) => r.seq)).toEqual([...Array(out.length).keys()]);
      for (let i = 1; i < out.length; i++) expect(out[i]!.t).toBeGreaterThanOrEqual(out[i - 1]!.t);
      inputs.forEach((recs, k) => {
        const mine = out.filter((r) => r.app === `app${k}`);
        expect(mine.map((r) => r.t)).toEqual(recs.map((r) => r.t));
        expect(mine.map((r) => r.conn)).toEqual(recs.map((r) => (inputs.length > 1 ? `${k + 1}/${r.conn}` : r.conn)));
      });
    },
  );

  it('refuses a bad shard count and an output that is also an input', async () => {
    const input = await writeCapture(3);
    await expect(splitCapture([input], { shards: 0, outDir: tmp.dir })).rejects.toThrow(/shards: must be an integer/);
    await expect(mergeCaptures([input], { out: input })).rejects.toThrow(/also an input/);
  });
});

describe('capture summary', () => {
  it('counts by app, command, database and shape, the span, replayable share and drops', async () => {
    const file = fresh();
    const w = await openCaptureWriter(file, HEADER);
    w.write(sampleRecord(0, 'a', { t: 1_000_000 }));
    w.write(sampleRecord(1, 'a', { t: 3_500_000, notReplayable: 'truncated' }));
    w.write(sampleRecord(2, 'b', { t: 2_000_000, cmd: 'insert', db: 'meta', command: { insert: 'locks', documents: [{ _id: new BSON.ObjectId() }] } }));
    w.write(sampleRecord(3, 'b', { t: 2_500_000, error: { code: 11000, codeName: 'DuplicateKey' } }));
    await w.close();
    const s = await summariseCapture([file]);
    expect(s.records).toBe(4);
    expect(s.spanSeconds).toBeCloseTo(2.5);
    expect(s.replayable).toBe(3);
    expect(s.replayableShare).toBeCloseTo(0.75);
    expect(s.notReplayable).toEqual({ truncated: 1 });
    expect(s.errors).toBe(1);
    expect(s.byApp).toEqual({ monolith: 2, gcsp: 2 });
    expect(s.byCommand).toEqual({ find: 3, insert: 1 });
    expect(s.byDb).toEqual({ prod: 3, meta: 1 });
    expect(s.connections).toBe(2);
    expect(s.topShapes[0]).toMatchObject({ cmd: 'find', count: 3 });
    expect(s.topShapes).toHaveLength(2);
    expect(s.files[0]).toMatchObject({ closed: true, app: 'monolith' });
    expect(s.dropped).toBe(0);
    expect(s.sourceQuality).toEqual({});
  });

  it('sums what the sources held and lost (footers\' quality) and shows the counters that are not zero', async () => {
    const a = fresh();
    const b = fresh();
    for (const [file, gaps] of [
      [a, 2],
      [b, 3],
    ] as const) {
      const w = await openCaptureWriter(file, HEADER);
      w.write(sampleRecord(0));
      w.markQuality({ packets: 100, gaps, lostBytes: 10 * gaps, resyncs: 0, bogus: -1 });
      await w.close();
    }
    const s = await summariseCapture([a, b]);
    // A negative counter is no count: left out when written.
    expect(s.sourceQuality).toEqual({ packets: 200, gaps: 5, lostBytes: 50, resyncs: 0 });
    expect(formatSummary(s)).toContain('source quality: packets 200, gaps 5, lostBytes 50\n');
  });
});

describe('formatSummary', () => {
  it('renders counts, the replayable share and files never closed', async () => {
    const file = fresh();
    const w = await openCaptureWriter(file, HEADER, { flushIntervalMs: 10 });
    w.write(sampleRecord(0, 'a'));
    w.write(sampleRecord(1, 'b', { notReplayable: 'truncated' }));
    // Nothing left queued: the interval flush has put both records on disk.
    await waitFor(() => w.queuedBytes === 0, { what: 'the writer to flush on its interval' });
    const text = formatSummary(await summariseCapture([file]));
    await w.close();
    expect(text).toMatch(/records: 2 on 2 connections/);
    expect(text).toMatch(/replayable: 1 \(50\.0%\); not replayable: truncated 1/);
    expect(text).toMatch(/NOT CLOSED/);
    expect(text).toMatch(/top shapes:\n\s+2\s+[0-9a-f]{12}\s+\{"find":"jobs"/);
  });
});
