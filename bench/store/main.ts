// `npm run bench -- store`: capture store throughput and memory.
//
// 1. write: records/s through openCaptureWriter (serialise + gzip + disk), 1 KiB records;
// 2. read: records/s through readCapture (gunzip + parse + EJSON revive + zod validation),
//    next to JSON.parse alone of the same lines (the floor of any JSON-lines reader);
// 3. memory: a 1M-record capture read end to end in a child process, its peak RSS;
// baseline in the same run: the straightforward way (BSON.EJSON.stringify/parse one
// line at a time through a gzip stream and readline), the ratio says what the store's
// own codec and batching buy.
//
// Targets (issue 4): write >= 100k rec/s, read+validate >= 150k rec/s, 1M read < 200 MB.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createGunzip, createGzip } from 'node:zlib';
import { BSON } from 'mongodb';
import { encodeRecordLine } from '../../harness/store/line-codec.ts';
import { readCapture } from '../../harness/store/reader.ts';
import { OperationRecordSchema } from '../../harness/model/record.ts';
import { record } from './record.ts';
import { openCaptureWriter, type CaptureHeaderInput } from '../../harness/store/writer.ts';

const HEADER: CaptureHeaderInput = {
  source: { kind: 'proxy', host: '127.0.0.1:27017' },
  startedAt: new Date().toISOString(),
  redaction: { mode: 'none' },
  replyMode: 'full',
};

/**
 * CPU seconds of this process (all threads, zlib's pool included) next to wall time: on a
 * shared machine wall-clock rates fall with the load, records per CPU-second much less.
 */
function cpuSeconds(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

async function measureWrite(path: string, count: number): Promise<{ perSec: number; perCpuSec: number; bytes: number }> {
  const recs = Array.from({ length: 1024 }, (_, i) => record(i));
  const w = await openCaptureWriter(path, HEADER);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const r = recs[i & 1023]!;
    r.seq = i;
    w.write(r);
    // A lossless producer (ingest) waits when the queue grows; the proxy would drop instead.
    if ((i & 1023) === 1023 && w.queuedBytes > 8 * 1024 * 1024) await w.drain();
  }
  await w.close();
  const secs = (performance.now() - started) / 1000;
  if (w.dropped > 0) throw new Error(`writer dropped ${w.dropped} records`);
  return { perSec: count / secs, perCpuSec: count / cpuSeconds(cpu), bytes: statSync(path).size };
}

async function measureRead(paths: string[], expected: number): Promise<{ perSec: number; perCpuSec: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let n = 0;
  for await (const r of readCapture(paths, { onIssue: (i) => { throw new Error(i.message); } })) if (r.seq >= 0) n++;
  const secs = (performance.now() - started) / 1000;
  if (n !== expected) throw new Error(`read ${n} records, expected ${expected}`);
  return { perSec: n / secs, perCpuSec: n / cpuSeconds(cpu) };
}

/**
 * The floor of any JSON-lines reader of this file: gunzip (same chunk size as the
 * reader), split at newlines, `JSON.parse` of each line, nothing else (no EJSON revival,
 * no validation). What readCapture does on top of it is the revival into BSON classes
 * and the schema check.
 */
async function jsonParseOnly(path: string, expected: number): Promise<{ perSec: number; perCpuSec: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let n = 0;
  let rest: Buffer | undefined;
  const gunzip = createReadStream(path, { highWaterMark: 256 * 1024 }).pipe(createGunzip({ chunkSize: 256 * 1024 }));
  for await (const chunk of gunzip as AsyncIterable<Buffer>) {
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    let nl = buf.indexOf(0x0a);
    while (nl !== -1) {
      const doc = JSON.parse(buf.toString('utf8', start, nl)) as { seq?: unknown };
      if (doc.seq !== undefined) n++;
      start = nl + 1;
      nl = buf.indexOf(0x0a, start);
    }
    rest = start < buf.length ? buf.subarray(start) : undefined;
  }
  const secs = (performance.now() - started) / 1000;
  if (n !== expected) throw new Error(`JSON.parse pass saw ${n} records, expected ${expected}`);
  return { perSec: n / secs, perCpuSec: n / cpuSeconds(cpu) };
}

/** The naive way: library EJSON per record, one gzip stream, readline. */
async function baseline(path: string, count: number): Promise<{ writePerSec: number; readPerSec: number }> {
  const recs = Array.from({ length: 1024 }, (_, i) => record(i));
  let started = performance.now();
  const gz = createGzip();
  const out = createWriteStream(path);
  gz.pipe(out);
  for (let i = 0; i < count; i++) {
    if (!gz.write(`${BSON.EJSON.stringify(recs[i & 1023]!, { relaxed: false })}\n`)) await once(gz, 'drain');
  }
  gz.end();
  await once(out, 'close');
  const writePerSec = count / ((performance.now() - started) / 1000);
  started = performance.now();
  let n = 0;
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) {
    const doc = BSON.EJSON.parse(line, { relaxed: false }) as unknown;
    if (doc) n++;
  }
  const readPerSec = n / ((performance.now() - started) / 1000);
  return { writePerSec, readPerSec };
}

async function child(path: string): Promise<void> {
  let n = 0;
  for await (const r of readCapture(path)) if (OperationRecordSchema.shape.seq.safeParse(r.seq).success) n++;
  process.stdout.write(`${JSON.stringify({ records: n, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child-read') return child(process.argv[3]!);
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-store-'));
  try {
    const N = 200_000;
    const BIG = 1_000_000;
    const line = Buffer.byteLength(encodeRecordLine(record(1))) + 1;
    process.stderr.write(`record line: ${line} bytes; ${N.toLocaleString()} records timed, ${BIG.toLocaleString()} for memory\n`);

    const base = await baseline(join(dir, 'baseline.jsonl.gz'), 50_000);
    process.stderr.write(`baseline (library EJSON, line-per-write, readline): write ${Math.round(base.writePerSec)} rec/s, read ${Math.round(base.readPerSec)} rec/s\n`);

    const small = join(dir, 'timed.jsonl.gz');
    const write = await measureWrite(small, N);
    process.stderr.write(`store write: ${Math.round(write.perSec)} rec/s, ${Math.round(write.perCpuSec)} rec/CPU-s (${(write.bytes / N).toFixed(0)} compressed bytes/record)\n`);
    const read = await measureRead([small], N);
    const readPerSec = read.perSec;
    process.stderr.write(`store read+validate: ${Math.round(readPerSec)} rec/s, ${Math.round(read.perCpuSec)} rec/CPU-s\n`);
    const floor = await jsonParseOnly(small, N);
    process.stderr.write(
      `JSON.parse alone of the same lines (gunzip + split + parse, no revival, no validation): ${Math.round(floor.perSec)} rec/s, ${Math.round(floor.perCpuSec)} rec/CPU-s; the store reads at ${((100 * readPerSec) / floor.perSec).toFixed(0)} % of it\n`,
    );

    const big = join(dir, 'big.jsonl.gz');
    await measureWrite(big, BIG);
    const self = fileURLToPath(import.meta.url);
    const res = spawnSync(process.execPath, ['--import', 'tsx', self, '--child-read', big], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`child read failed: ${res.stderr}`);
    const mem = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { records: number; maxRssMb: number };
    if (mem.records !== BIG) throw new Error(`child read ${mem.records} records`);
    process.stderr.write(`1M-record read: peak RSS ${mem.maxRssMb.toFixed(0)} MB (${(statSync(big).size / 1e6).toFixed(0)} MB file)\n`);
    process.stderr.write(`targets: write >= 100000 ${write.perSec >= 100_000 ? 'met' : 'MISSED'}, read >= 150000 ${readPerSec >= 150_000 ? 'met' : 'MISSED'}, RSS < 200 MB ${mem.maxRssMb < 200 ? 'met' : 'MISSED'}\n`);

    process.stdout.write(
      `${JSON.stringify({
        bench: 'store',
        writeRecordsPerSec: Math.round(write.perSec),
        readRecordsPerSec: Math.round(readPerSec),
        peakRssMb: Math.round(mem.maxRssMb),
        writeRecordsPerCpuSec: Math.round(write.perCpuSec),
        readRecordsPerCpuSec: Math.round(read.perCpuSec),
        jsonParseOnlyRecordsPerSec: Math.round(floor.perSec),
        readShareOfJsonParseOnly: +(readPerSec / floor.perSec).toFixed(2),
        loadAverage1m: +loadavg()[0]!.toFixed(1),
        recordBytes: line,
        baselineWriteRecordsPerSec: Math.round(base.writePerSec),
        baselineReadRecordsPerSec: Math.round(base.readPerSec),
        writeRatio: +(write.perSec / base.writePerSec).toFixed(2),
        readRatio: +(readPerSec / base.readPerSec).toFixed(2),
      })}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
