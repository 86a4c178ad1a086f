import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trafficRecords } from '../../../../../harness/capture/ingest/traffic/source.ts';
import { newCounters, type IngestIssue } from '../../../../../harness/capture/ingest/summary.ts';
import type { OperationRecord } from '../../../../../harness/model/record.ts';
import type { InputCut } from '../../../../../harness/store/footer.ts';
import { crc32c } from '../../../../../harness/wire/index.ts';

/*
 * Recordings written here byte by byte from the server's writer code (captures/FORMAT.md,
 * "Traffic recordings"), not with the reader's own builder: if the reader and these
 * bytes disagree, the reader is wrong.
 */

/** Little-endian byte helpers: each returns the bytes of one field. */
const u8 = (n: number): number[] => [n & 0xff];
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const u64 = (n: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const cstr = (s: string): number[] => [...Buffer.from(s, 'latin1'), 0];

/** OP_MSG (opCode 2013) with flagBits 0 and one kind-0 section: `{ ping: 1, $db: "admin" }`. */
function pingRequest(requestId: number): number[] {
  // BSON: int32 size | 0x10 "ping" int32 1 | 0x02 "$db" int32 6 "admin\0" | 0x00  = 30 bytes
  const doc = [...u32(30), 0x10, ...cstr('ping'), ...u32(1), 0x02, ...cstr('$db'), ...u32(6), ...cstr('admin'), 0x00];
  const body = [...u32(0), 0x00, ...doc];
  return [...u32(16 + body.length), ...u32(requestId), ...u32(0), ...u32(2013), ...body];
}

/** The reply `{ ok: 1.0 }` answering `requestId`. */
function okReply(requestId: number, responseTo: number): number[] {
  // BSON: int32 size | 0x01 "ok" double 1.0 | 0x00 = 17 bytes
  const doc = [...u32(17), 0x01, ...cstr('ok'), 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x00];
  const body = [...u32(0), 0x00, ...doc];
  return [...u32(16 + body.length), ...u32(requestId), ...u32(responseTo), ...u32(2013), ...body];
}

/** A packet: the size field counts the whole packet, itself included. */
function packet(fields: number[]): number[] {
  return [...u32(4 + fields.length), ...fields];
}

const SESSION = '{ remote: "10.0.0.5:51807", local: "10.0.0.1:27017" }';
const START_MS = 1_700_000_000_000;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-traffic-layouts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function read(path: string): Promise<{ records: OperationRecord[]; issues: IngestIssue[]; cuts: InputCut[] }> {
  const records: OperationRecord[] = [];
  const issues: IngestIssue[] = [];
  const cuts: InputCut[] = [];
  for await (const r of trafficRecords(path, { onIssue: (i) => issues.push(i), onCut: (c) => cuts.push(c), counters: newCounters() })) records.push(r);
  return { records, issues, cuts };
}

describe('traffic recording layouts, each written from its server source', () => {
  it('split (SERVER-37823, 4.2): id, local and remote strings, epoch milliseconds; one file', async () => {
    // u32 size | u64 id | cstring local | cstring remote | u64 Date_t ms | u64 order | message
    const bytes = [
      ...packet([...u64(7n), ...cstr('10.0.0.1:27017'), ...cstr('10.0.0.5:51807'), ...u64(BigInt(START_MS)), ...u64(1n), ...pingRequest(11)]),
      ...packet([...u64(7n), ...cstr('10.0.0.1:27017'), ...cstr('10.0.0.5:51807'), ...u64(BigInt(START_MS + 3)), ...u64(2n), ...okReply(12, 11)]),
    ];
    const file = join(dir, 'recording-4.2');
    await writeFile(file, Buffer.from(bytes));
    const { records, issues, cuts } = await read(file);
    expect(issues).toEqual([]);
    expect(cuts).toEqual([]);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ cmd: 'ping', db: 'admin', conn: 's7', client: '10.0.0.5:51807', t: START_MS * 1000, dur: 3000 });
  });

  it('classic with epoch milliseconds: one session string, Date_t time', async () => {
    // u32 size | u64 id | cstring session | u64 Date_t ms | u64 order | message
    const bytes = [
      ...packet([...u64(3n), ...cstr(SESSION), ...u64(BigInt(START_MS)), ...u64(1n), ...pingRequest(5)]),
      ...packet([...u64(3n), ...cstr(SESSION), ...u64(BigInt(START_MS + 2)), ...u64(2n), ...okReply(6, 5)]),
    ];
    const file = join(dir, 'classic-ms.bin');
    await writeFile(file, Buffer.from(bytes));
    const { records, issues } = await read(file);
    expect(issues).toEqual([]);
    expect(records[0]).toMatchObject({ cmd: 'ping', conn: 's3', client: '10.0.0.5:51807', t: START_MS * 1000, dur: 2000 });
  });

  it('offset (a): no event byte, microseconds since the recording started, placed by the <ms>.bin name', async () => {
    // u32 size | u64 id | cstring session | u64 µs since start | u64 order | message
    const d = join(dir, 'offset');
    await mkdir(d);
    const bytes = [
      ...packet([...u64(4n), ...cstr(SESSION), ...u64(1_500n), ...u64(1n), ...pingRequest(9)]),
      ...packet([...u64(4n), ...cstr(SESSION), ...u64(1_750n), ...u64(2n), ...okReply(10, 9)]),
    ];
    await writeFile(join(d, `${START_MS}.bin`), Buffer.from(bytes));
    const { records, issues } = await read(d);
    expect(issues).toEqual([]);
    expect(records[0]).toMatchObject({ cmd: 'ping', conn: 's4', t: START_MS * 1000 + 1_500, dur: 250 });
  });

  describe('event (b): u8 event type, microseconds since start, <ms>.bin files and checksum.txt', () => {
    // u32 size | u8 event (0 message, 1 session start, 2 session end) | u64 id | cstring session | u64 µs | u64 order | message
    const first = [
      ...packet([...u8(1), ...u64(9n), ...cstr(SESSION), ...u64(0n), ...u64(1n)]),
      ...packet([...u8(0), ...u64(9n), ...cstr(SESSION), ...u64(100n), ...u64(2n), ...pingRequest(21)]),
    ];
    const second = [
      ...packet([...u8(0), ...u64(9n), ...cstr(SESSION), ...u64(180n), ...u64(3n), ...okReply(22, 21)]),
      ...packet([...u8(2), ...u64(9n), ...cstr(SESSION), ...u64(200n), ...u64(4n)]),
    ];
    const names = [`${START_MS}.bin`, `${START_MS + 1}.bin`];

    async function recording(name: string, sums: (path: string, bytes: number[]) => number): Promise<string> {
      const d = join(dir, name);
      await mkdir(d);
      const lines: string[] = [];
      for (const [i, bytes] of [first, second].entries()) {
        const path = join(d, names[i]!);
        await writeFile(path, Buffer.from(bytes));
        // The server writes `<absolute path>\t<crc32c in lower-case hex>\n` as it closes each file.
        lines.push(`${path}\t${sums(path, bytes).toString(16)}\n`);
      }
      await writeFile(join(d, 'checksum.txt'), lines.join(''));
      return d;
    }

    it('reads across rotated files, skips session events, and checks every file', async () => {
      const d = await recording('event-ok', (_p, bytes) => crc32c(Buffer.from(bytes)));
      const { records, issues } = await read(d);
      expect(issues).toEqual([]);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ cmd: 'ping', conn: 's9', client: '10.0.0.5:51807', t: START_MS * 1000 + 100, dur: 80 });
    });

    it('a file other than the last with no checksum.txt line is reported; the last may lack one', async () => {
      const d = await recording('event-unlisted', (_p, bytes) => crc32c(Buffer.from(bytes)));
      const sums = (await readFile(join(d, 'checksum.txt'), 'utf8')).split('\n');
      await writeFile(join(d, 'checksum.txt'), `${sums[1]}\n`);
      expect((await read(d)).issues.map((i) => [i.code, i.file])).toEqual([['MC_INGEST_TRAFFIC_CHECKSUM', join(d, names[0]!)]]);
      await writeFile(join(d, 'checksum.txt'), `${sums[0]}\n`);
      expect((await read(d)).issues).toEqual([]);
    });

    it('a file whose CRC-32C differs from checksum.txt is reported by name, the others are not', async () => {
      const d = await recording('event-bad-sum', (p, bytes) => (p.endsWith(names[1]!) ? crc32c(Buffer.from(bytes)) ^ 1 : crc32c(Buffer.from(bytes))));
      const { records, issues } = await read(d);
      expect(issues.map((i) => [i.code, i.file])).toEqual([['MC_INGEST_TRAFFIC_CHECKSUM', join(d, names[1]!)]]);
      expect(records).toHaveLength(1);
    });
  });

  it('a packet cut in two ends the file as a cut, with the byte where the cut packet starts', async () => {
    const whole = packet([...u64(3n), ...cstr(SESSION), ...u64(BigInt(START_MS)), ...u64(1n), ...pingRequest(5)]);
    const file = join(dir, 'cut.bin');
    await writeFile(file, Buffer.from([...whole, ...whole.slice(0, 20)]));
    const { records, cuts } = await read(file);
    expect(records).toHaveLength(1); // the request, released without its reply
    expect(cuts).toEqual([{ input: file, at: `byte ${whole.length}`, reason: expect.stringContaining('packet 2 is cut short') as unknown as string }]);
  });
});
