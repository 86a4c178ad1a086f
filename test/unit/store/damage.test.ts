import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fc, test as propTest } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCapture, type CaptureDamage, type CaptureIssue } from '../../../harness/store/reader.ts';
import { openCaptureWriter } from '../../../harness/store/writer.ts';
import type { OperationRecord } from '../../../harness/model/record.ts';
import { HEADER, sampleRecord, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;
const fresh = (): string => tmp.path(`d${n++}.jsonl.gz`);

async function read(file: string): Promise<{ records: OperationRecord[]; issues: CaptureIssue[]; damage: CaptureDamage[] }> {
  const records: OperationRecord[] = [];
  const issues: CaptureIssue[] = [];
  const damage: CaptureDamage[] = [];
  for await (const r of readCapture(file, { onIssue: (i) => issues.push(i), onDamage: (d) => damage.push(d) })) records.push(r);
  return { records, issues, damage };
}

/** Members of a capture written by our writer, found by decoding each candidate start on its own. */
function membersOf(bytes: Buffer): { start: number; end: number; seqs: number[] }[] {
  const starts: number[] = [0];
  for (let i = 1; i < bytes.length - 10; i++) if (bytes[i] === 0x1f && bytes[i + 1] === 0x8b && bytes[i + 2] === 0x08 && bytes[i + 3] === 0 && bytes[i + 9] === 3) starts.push(i);
  starts.push(bytes.length);
  const out: { start: number; end: number; seqs: number[] }[] = [];
  for (let k = 1; k < starts.length; k++) {
    const text = gunzipSync(bytes.subarray(starts[k - 1], starts[k])).toString('utf8');
    const seqs = text
      .split('\n')
      .filter((l) => l.startsWith('{"seq"'))
      .map((l) => (JSON.parse(l) as { seq: { $numberInt: string } | number }).seq)
      .map((s) => (typeof s === 'number' ? s : Number(s.$numberInt)));
    out.push({ start: starts[k - 1]!, end: starts[k]!, seqs });
  }
  return out;
}

describe('a capture with damaged compressed data', () => {
  const TOTAL = 300;
  let bytes: Buffer;
  let members: ReturnType<typeof membersOf>;

  beforeAll(async () => {
    const w = await openCaptureWriter(fresh(), HEADER, { chunkBytes: 2000 });
    for (let i = 0; i < TOTAL; i++) w.write(sampleRecord(i));
    await w.close();
    bytes = readFileSync(w.files[0]!);
    members = membersOf(bytes);
    expect(members.flatMap((m) => m.seqs)).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
  });

  it('resumes at the next gzip member after one flipped byte and counts what it skipped and recovered', async () => {
    const k = Math.floor(members.length / 3);
    const m = members[k]!;
    const file = fresh();
    const copy = Buffer.from(bytes);
    copy[m.start + Math.floor((m.end - m.start) / 2)]! ^= 0xff;
    writeFileSync(file, copy);
    const { records, issues, damage } = await read(file);
    const lost = new Set(m.seqs);
    const expected = Array.from({ length: TOTAL }, (_, i) => i).filter((s) => !lost.has(s));
    // Records of the damaged member the stream decoded before the damage may come through too.
    const got = records.map((r) => r.seq);
    expect(got.filter((s) => !lost.has(s))).toEqual(expected);
    expect(new Set(got).size).toBe(got.length);
    const gz = issues.filter((i) => i.code === 'MC_CAPTURE_GZIP');
    expect(gz).toHaveLength(1);
    expect(gz[0]!.message).toContain(`gzip member at byte ${m.start}`);
    expect(gz[0]!.message).toContain(`its ${m.end - m.start} bytes are skipped`);
    const after = members.slice(k + 1).flatMap((x) => x.seqs).length;
    expect(damage).toEqual([{ file, members: 1, bytesSkipped: m.end - m.start, recordsRecovered: after, restLost: false }]);
  });

  propTest.prop([fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 })], { numRuns: 60 })(
    'after a flipped byte anywhere but a member header, every record outside the damaged member is read once, in order',
    async (which, at, mask) => {
      const k = 1 + (which % (members.length - 1)); // not the header member: its loss is a refusal
      const m = members[k]!;
      const pos = m.start + 10 + (at % (m.end - m.start - 10));
      const copy = Buffer.from(bytes);
      copy[pos]! ^= mask;
      const file = fresh();
      writeFileSync(file, copy);
      const { records, damage } = await read(file);
      const lost = new Set(m.seqs);
      const got = records.map((r) => r.seq);
      expect(got.filter((s) => !lost.has(s))).toEqual(Array.from({ length: TOTAL }, (_, i) => i).filter((s) => !lost.has(s)));
      expect(new Set(got).size).toBe(got.length);
      // Deflate may absorb a flip in data it never reads back (rare); otherwise the damage is counted.
      if (damage.length > 0) expect(damage[0]!.bytesSkipped).toBe(m.end - m.start);
    },
    120_000,
  );

  it('in a file of over a MiB, skips only the damaged member near its end and reads the rest', async () => {
    const w = await openCaptureWriter(fresh(), HEADER);
    const COUNT = 12_000;
    // Incompressible filler (a fixed-seed generator), so the file passes 1 MiB with few records.
    let x = 12345;
    const noise = (): string => {
      let t = '';
      for (let j = 0; j < 24; j++) t += ((x = (x * 1103515245 + 12345) >>> 0) >>> 8).toString(16).padStart(6, '0');
      return t;
    };
    for (let i = 0; i < COUNT; i++) w.write(sampleRecord(i, `p1:${i % 50}`, { command: { find: 'jobs', filter: { n: i, pad: noise() }, $db: 'prod' } }));
    await w.close();
    const big = readFileSync(w.files[0]!);
    // Past 1 MiB, so the members read long before the damage are counted by their size field, not decoded again.
    expect(big.length).toBeGreaterThan(1.1 * 1024 * 1024);
    const ms = membersOf(big);
    const k = ms.length - 3;
    const copy = Buffer.from(big);
    copy[ms[k]!.start + 200]! ^= 0x55;
    const file = fresh();
    writeFileSync(file, copy);
    const { records, damage } = await read(file);
    const lost = new Set(ms[k]!.seqs);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: COUNT }, (_, i) => i).filter((s) => !lost.has(s)));
    expect(damage).toEqual([{ file, members: 1, bytesSkipped: ms[k]!.end - ms[k]!.start, recordsRecovered: ms.slice(k + 1).flatMap((x) => x.seqs).length, restLost: false }]);
  }, 60_000);

  it('refuses two captures joined into one file, naming the line of the second header', async () => {
    const a = await openCaptureWriter(fresh(), HEADER);
    const b = await openCaptureWriter(fresh(), { ...HEADER, startedAt: '2026-11-27T10:00:00.000Z' });
    for (let i = 0; i < 5; i++) {
      a.write(sampleRecord(i));
      b.write(sampleRecord(i));
    }
    await Promise.all([a.close(), b.close()]);
    const joined = fresh();
    writeFileSync(joined, Buffer.concat([readFileSync(a.files[0]!), readFileSync(b.files[0]!)]));
    const err = await read(joined).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MC_CAPTURE_CONCATENATED' });
    // Header, 5 records, footer: the second header is line 8.
    expect((err as Error).message).toBe(
      `${joined}:8: a second capture header (started 2026-11-27T10:00:00.000Z): this file is several captures joined; give each capture as its own file (the part before line 8 is one)`,
    );
  });
});
