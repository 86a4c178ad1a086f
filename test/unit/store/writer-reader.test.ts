import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fc, test as propTest } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureUnreadableError, CaptureVersionError } from '../../../harness/errors.ts';
import { encodeRecordLine } from '../../../harness/store/line-codec.ts';
import { readCapture, readCaptureHeader } from '../../../harness/store/reader.ts';
import { openCaptureWriter } from '../../../harness/store/writer.ts';
import { bsonBytes, operationRecord } from './arbitraries.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { HEADER, readAll, sampleRecord, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;
const fresh = (): string => tmp.path(`c${n++}.jsonl.gz`);

describe('capture writer and reader', () => {
  propTest.prop([fc.array(operationRecord, { maxLength: 8 })], { numRuns: 60 })(
    'any generated record written and read back is equal, type for type',
    async (records) => {
      const w = await openCaptureWriter(fresh(), HEADER, { chunkBytes: 500 });
      for (const r of records) expect(w.write(r)).toBe(true);
      await w.close();
      const { records: back, issues } = await readAll(w.files);
      expect(issues).toEqual([]);
      expect(back.length).toBe(records.length);
      back.forEach((b, i) => {
        const { command, reply, ...rest } = records[i]!;
        const { command: bc, reply: br, ...brest } = b;
        expect(brest).toEqual(JSON.parse(JSON.stringify(rest)));
        expect(bsonBytes(bc)).toBe(bsonBytes(command));
        if (reply?.mode === 'full' && br?.mode === 'full') expect(bsonBytes(br.doc)).toBe(bsonBytes(reply.doc));
        else expect(br).toEqual(reply);
      });
    },
  );

  it('stamps the header with format, version and tool, and reads it alone', async () => {
    const w = await openCaptureWriter(fresh(), HEADER);
    await w.close();
    const header = await readCaptureHeader(w.files[0]!);
    expect(header).toMatchObject({ format: 'mongo-compat-capture', version: 1, app: 'monolith', tool: { name: 'mongo-compat' } });
    expect((await readAll(w.files)).records).toEqual([]);
  });

  it('rotates by size into parts that read back in order as one capture', async () => {
    const base = fresh();
    const w = await openCaptureWriter(base, HEADER, { rotateBytes: 4000, chunkBytes: 2000 });
    for (let i = 0; i < 300; i++) w.write(sampleRecord(i));
    await w.close();
    expect(w.files.length).toBeGreaterThan(2);
    expect(w.files[1]).toMatch(/\.p0002\.jsonl\.gz$/);
    expect([...w.files].sort()).toEqual(w.files);
    const { records } = await readAll(w.files);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    for (const f of w.files.slice(0, -1)) expect(statSync(f).size).toBeLessThan(4000 + 2000);
  });

  it('ends each file with a footer counting its records and drops; a file never closed has none', async () => {
    const w = await openCaptureWriter(fresh(), HEADER, { maxQueueBytes: 1500, rotateBytes: 1, chunkBytes: 1 });
    for (let i = 0; i < 20; i++) w.write(sampleRecord(i));
    await w.close();
    const footers: Array<[string, unknown]> = [];
    for await (const _ of readCapture(w.files, { onFooter: (f, file) => footers.push([file, f]) })) void _;
    expect(footers.map(([file]) => file)).toEqual(w.files);
    const sum = footers.reduce((acc, [, f]) => acc + (f as { records: number }).records, 0);
    const dropped = footers.reduce((acc, [, f]) => acc + (f as { dropped: number }).dropped, 0);
    expect(sum).toBe(w.written);
    expect(dropped).toBe(w.dropped);
    expect(footers.map(([, f]) => (f as { last: boolean }).last).at(-1)).toBe(true);

    const open = await openCaptureWriter(fresh(), HEADER, { flushIntervalMs: 10 });
    open.write(sampleRecord(0));
    // Nothing left queued: the interval flush has put the record on disk.
    await waitFor(() => open.queuedBytes === 0, { what: 'the writer to flush on its interval' });
    let seen: unknown = 'not called';
    for await (const _ of readCapture(open.files, { onFooter: (f) => (seen = f) })) void _;
    expect(seen).toBeUndefined();
    await open.close();
  });

  it('drops and counts records once its queue is full, never blocking the caller', async () => {
    const w = await openCaptureWriter(fresh(), HEADER, { maxQueueBytes: 2000 });
    let accepted = 0;
    for (let i = 0; i < 100; i++) if (w.write(sampleRecord(i))) accepted++;
    expect(w.dropped).toBe(100 - accepted);
    expect(w.dropped).toBeGreaterThan(0);
    expect(w.written).toBe(accepted);
    await w.close();
    expect((await readAll(w.files)).records.length).toBe(accepted);
  });

  it('flushes on its interval, so a capture still being written is readable', async () => {
    const w = await openCaptureWriter(fresh(), HEADER, { flushIntervalMs: 20 });
    w.write(sampleRecord(0));
    w.write(sampleRecord(1));
    // Nothing left queued: the interval flush (not close or drain) has put both records on disk.
    await waitFor(() => w.queuedBytes === 0, { what: 'the writer to flush on its interval' });
    expect((await readAll(w.files)).records.map((r) => r.seq)).toEqual([0, 1]);
    await w.close();
  });

  it('reports a corrupt or invalid line with file and line, skips it and goes on', async () => {
    const file = fresh();
    const w = await openCaptureWriter(file, HEADER);
    w.write(sampleRecord(0));
    await w.close();
    const bad = `${encodeRecordLine(sampleRecord(1))}\n{not json\n{"seq":-1}\n${encodeRecordLine(sampleRecord(4))}\n`.replace(
      '"seq":1,',
      '"seq":1,',
    );
    appendFileSync(file, gzipSync(bad));
    const { records, issues } = await readAll(file);
    expect(records.map((r) => r.seq)).toEqual([0, 1, 4]);
    expect(issues).toEqual([
      expect.objectContaining({ file, line: 5, code: 'MC_CAPTURE_CORRUPT_RECORD' }),
      expect.objectContaining({ file, line: 6, code: 'MC_CAPTURE_INVALID_RECORD', message: expect.stringMatching(/^seq: /) }),
    ]);
  });

  it('refuses an unknown format version with one line', async () => {
    const file = fresh();
    writeFileSync(file, gzipSync(`${JSON.stringify({ format: 'mongo-compat-capture', version: 99 })}\n`));
    await expect(readAll(file)).rejects.toThrow(CaptureVersionError);
    await expect(readAll(file)).rejects.toThrow(/version 99 is not supported/);
  });

  it.each([
    ['an empty file', Buffer.alloc(0), /empty file/],
    ['a non-gzip file', Buffer.from('{"format":"mongo-compat-capture"}\n'), /not a gzip file/],
    ['another tool\'s gzip file', gzipSync('{"level":"info","msg":"hello"}\n'), /not a mongo-compat capture/],
    ['a gzip file of plain text', gzipSync('hello world\n'), /first line is not JSON/],
    ['a header cut short', gzipSync('{"format":"mongo-'), /no header line/],
  ])('refuses %s with one line naming the file', async (_name, bytes, message) => {
    const file = fresh();
    writeFileSync(file, bytes);
    const err = await readAll(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureUnreadableError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).not.toContain('\n');
  });

  it('refuses a missing file with one line', async () => {
    await expect(readCaptureHeader(tmp.path('nope.jsonl.gz'))).rejects.toThrow(/cannot open \(ENOENT\)/);
  });

  it('stops reading when the consumer stops, without leaking the file', async () => {
    const w = await openCaptureWriter(fresh(), HEADER);
    for (let i = 0; i < 10; i++) w.write(sampleRecord(i));
    await w.close();
    for await (const r of readCapture(w.files)) {
      expect(r.seq).toBe(0);
      break;
    }
  });
});

describe('a capture cut short at any byte', () => {
  const TOTAL = 40;
  let bytes: Buffer;
  /** [end offset of each member, records complete once that member is whole]. */
  const members: Array<[number, number]> = [];

  it('is prepared: small batches, so gzip members end all along the file', async () => {
    const w = await openCaptureWriter(fresh(), HEADER, { chunkBytes: 600 });
    for (let i = 0; i < TOTAL; i++) w.write(sampleRecord(i));
    await w.close();
    bytes = readFileSync(w.files[0]!);
    // Member starts: gzip magic 1f 8b 08 with flags 0 (what zlib writes). Each candidate
    // is confirmed by decompressing the member on its own.
    const starts = [0];
    for (let i = 1; i < bytes.length - 3; i++) if (bytes[i] === 0x1f && bytes[i + 1] === 0x8b && bytes[i + 2] === 0x08 && bytes[i + 3] === 0) starts.push(i);
    starts.push(bytes.length);
    let records = 0;
    for (let k = 1; k < starts.length; k++) {
      const text = gunzipSync(bytes.subarray(starts[k - 1], starts[k])).toString('utf8');
      records += text.split('\n').filter((l) => l.startsWith('{"seq"')).length;
      members.push([starts[k]!, records]);
    }
    expect(members.length).toBeGreaterThan(4);
    expect(members.at(-1)![1]).toBe(TOTAL);
  });

  propTest.prop([fc.integer({ min: 1, max: 1_000_000 })], { numRuns: 100 })(
    'yields, in order, at least every record of the members wholly before the cut',
    async (pick) => {
      const cutAt = 1 + (pick % bytes.length);
      const file = fresh();
      writeFileSync(file, bytes.subarray(0, cutAt));
      const header = members[0]![0];
      if (cutAt < header) {
        // A cut inside the header member: a one-line refusal, unless the cut took only
        // the end of the member's deflate stream and its trailer, past the header line:
        // then the header reads and there is no record (that member held none) to lose.
        const outcome = await readAll(file).catch((err: unknown) => err as Error);
        if (outcome instanceof Error) {
          expect(outcome).toBeInstanceOf(CaptureUnreadableError);
        } else {
          expect(outcome.records).toEqual([]);
          expect(header - cutAt).toBeLessThanOrEqual(16);
        }
        return;
      }
      const { records, issues } = await readAll(file);
      const seqs = records.map((r) => r.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i));
      const guaranteed = Math.max(...members.filter(([end]) => end <= cutAt).map(([, n]) => n));
      expect(seqs.length).toBeGreaterThanOrEqual(guaranteed);
      expect(issues.every((i) => i.code === 'MC_CAPTURE_TRUNCATED')).toBe(true);
      if (members.some(([end]) => end === cutAt)) expect(issues).toEqual([]);
    },
    // A hundred write-and-read rounds: far under a second alone, but slow on a loaded machine.
    120_000,
  );

  it('loses nothing when the cut falls exactly between members', async () => {
    for (const [end, n] of members) {
      const file = fresh();
      writeFileSync(file, bytes.subarray(0, end));
      const { records, issues } = await readAll(file);
      expect(records.length).toBe(n);
      expect(issues).toEqual([]);
    }
  });
});
