// `npm run bench -- pcap`: packet-capture ingest throughput.
//
// A pcap of request/reply pairs of 1 KiB OP_MSG messages (a find and its one-document
// reply), 64 connections interleaved on Ethernet, is ingested end to end: file format,
// link layer, TCP reassembly, message framing, the proxy's session decoder, the store's
// writer. Baseline in the same run: the store writing the very records the ingest
// produced (read back from its capture), so the ratio says what everything before the
// store costs. Each round runs the ingest, then the store pass; rates are the median of
// the rounds, and the ratios the median of each round's own ratio (its ingest against the
// store pass right after it): the machine is shared (measured at loadavg 18: the same
// store pass at 10.7k and 28k records/s a second apart), so a round compares two passes
// under the same load, and a median is steadier than a best, which rewards the one round
// that ran alone. `ratioToStoreWrite` is on wall-clock rates, as the issue states it;
// `cpuRatioToStoreWrite` is the same on CPU time (this process, zlib's pool included),
// steadier under load. Both paths gzip on the thread pool while the main thread works,
// so the wall ratio is the higher one. No gc() between passes: tried, and the store
// pass's rate then swung between ~35k and ~75k records per CPU-second from round to
// round (likely the collector's concurrent sweeping running on into the timed pass).
//
// What each side writes: the ingest writes plain requests and replies as text read
// straight from their BSON (capture/proxy/prerender.ts), as the proxy's recording does;
// the baseline writes the same records as documents (read back from the capture), as
// every other producer of captures does. Both produce the same lines.
//
// Target (issue 20): ratioToStoreWrite >= 0.5.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON } from 'mongodb';
import { runPcapIngest } from '../../harness/capture/pcap/ingest-pcap.ts';
import type { OperationRecord } from '../../harness/model/record.ts';
import { readCapture } from '../../harness/store/reader.ts';
import { openCaptureWriter, type CaptureHeaderInput } from '../../harness/store/writer.ts';
import { buildOpMsg } from '../../harness/wire/index.ts';
import { conversation, writePcap, type PacketIn } from '../../test/fixtures/pcap/writer.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const PAIRS = arg('pairs', 40_000);
const ROUNDS = arg('rounds', 7);
const CONNECTIONS = 64;

function message(requestId: number, responseTo: number, doc: BSON.Document): Buffer {
  return Buffer.concat(buildOpMsg({ requestId, responseTo, sections: [{ kind: 0, body: Buffer.from(BSON.serialize(doc)) }] }));
}

/** The capture: per connection a conversation, packets interleaved round-robin as a busy server's would be. */
function buildPcap(): { file: Buffer; messageBytes: number } {
  const perConn: PacketIn[][] = [];
  let id = 1;
  let messageBytes = 0;
  for (let c = 0; c < CONNECTIONS; c++) {
    const exchanges = [];
    for (let i = c; i < PAIRS; i += CONNECTIONS) {
      const request = message(id++, 0, {
        find: 'jobs',
        filter: { status: 'pending', tenant: new BSON.ObjectId(), note: 'x'.repeat(880) },
        sort: { priority: -1 },
        limit: 1,
        lsid: { id: new BSON.Binary(Buffer.alloc(16, c), 4) },
        $db: 'prod',
      });
      const reply = message(id++, request.readInt32LE(4), {
        cursor: { id: BSON.Long.fromNumber(0), ns: 'prod.jobs', firstBatch: [{ _id: new BSON.ObjectId(), status: 'pending', body: 'y'.repeat(860), priority: i % 10 }] },
        ok: 1,
      });
      messageBytes += request.length + reply.length;
      exchanges.push({ request, reply });
    }
    perConn.push(conversation(exchanges, { client: [`10.0.${c >> 8}.${c & 255}`, 40000 + c], server: ['10.9.9.9', 27017], startUs: 1_795_000_000_000_000 + c }));
  }
  const packets: PacketIn[] = [];
  for (let i = 0; perConn.some((p) => i < p.length); i++) for (const p of perConn) if (i < p.length) packets.push(p[i]!);
  return { file: writePcap(packets), messageBytes };
}

/** The middle value (the mean of the two middle ones for an even count). */
function median(values: readonly number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

const HEADER: CaptureHeaderInput = { source: { kind: 'proxy' }, startedAt: new Date().toISOString(), redaction: { mode: 'none' }, replyMode: 'full' };

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

async function ingestOnce(pcap: string, out: string): Promise<{ secs: number; cpu: number; messages: number; records: number }> {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const r = await runPcapIngest({ input: pcap, out });
  const secs = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(cpu0);
  if (r.records !== PAIRS || r.quality.gaps !== 0 || r.quality.pairs !== PAIRS) throw new Error(`ingest gave ${r.records} records, ${r.quality.pairs} pairs, ${r.quality.gaps} gaps; expected ${PAIRS} pairs and no gap`);
  return { secs, cpu, messages: r.quality.messages, records: r.records };
}

/** The store alone writing the same records, lossless as ingest is (drain when the queue grows). */
async function storeOnce(records: readonly OperationRecord[], out: string): Promise<{ secs: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const w = await openCaptureWriter(out, HEADER);
  for (let i = 0; i < records.length; i++) {
    w.write(records[i]!);
    if ((i & 1023) === 1023 && w.queuedBytes > 4 * 1024 * 1024) await w.drain();
  }
  await w.close();
  return { secs: (performance.now() - started) / 1000, cpu: cpuSeconds(cpu0) };
}

const dir = mkdtempSync(join(tmpdir(), 'bench-pcap-'));
try {
  const { file, messageBytes } = buildPcap();
  const pcap = join(dir, 'bench.pcap');
  writeFileSync(pcap, file);
  process.stderr.write(`pcap: ${PAIRS} pairs over ${CONNECTIONS} connections, ${(file.length / 1e6).toFixed(1)} MB, mean message ${Math.round(messageBytes / (2 * PAIRS))} bytes\n`);
  // The records the ingest writes, read back once: the baseline writes exactly these.
  await ingestOnce(pcap, join(dir, 'warm.mcap.gz'));
  const records: OperationRecord[] = [];
  for await (const r of readCapture(join(dir, 'warm.mcap.gz'))) records.push(r);
  const ingestSecs: number[] = [];
  const storeSecs: number[] = [];
  const ingestCpu: number[] = [];
  const storeCpu: number[] = [];
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  let messages = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const i = await ingestOnce(pcap, join(dir, `ingest-${round}.mcap.gz`));
    messages = i.messages;
    const s = await storeOnce(records, join(dir, `store-${round}.mcap.gz`));
    ingestSecs.push(i.secs);
    storeSecs.push(s.secs);
    ingestCpu.push(i.cpu);
    storeCpu.push(s.cpu);
    ratios.push(s.secs / i.secs);
    cpuRatios.push(s.cpu / i.cpu);
    process.stderr.write(
      `round ${round + 1}: ingest ${(PAIRS / i.secs).toFixed(0)} records/s (${(i.messages / i.secs).toFixed(0)} messages/s, ${(PAIRS / i.cpu).toFixed(0)} records/CPU-s), ` +
        `store write ${(PAIRS / s.secs).toFixed(0)} records/s (${(PAIRS / s.cpu).toFixed(0)} records/CPU-s), ratio ${(s.secs / i.secs).toFixed(3)} (CPU ${(s.cpu / i.cpu).toFixed(3)})\n`,
    );
  }
  const [medIngest, medStore, medIngestCpu, medStoreCpu] = [ingestSecs, storeSecs, ingestCpu, storeCpu].map(median) as [number, number, number, number];
  const result = {
    bench: 'pcap',
    pairs: PAIRS,
    messages,
    messagesPerSec: Math.round(messages / medIngest),
    messagesPerCpuSec: Math.round(messages / medIngestCpu),
    recordsPerSec: Math.round(PAIRS / medIngest),
    storeWriteRecordsPerSec: Math.round(PAIRS / medStore),
    storeWriteRecordsPerCpuSec: Math.round(PAIRS / medStoreCpu),
    ratioToStoreWrite: Number(median(ratios).toFixed(3)),
    cpuRatioToStoreWrite: Number(median(cpuRatios).toFixed(3)),
    target: { ratioToStoreWrite: 0.5 },
    loadavg1: Number(loadavg()[0]!.toFixed(2)),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (result.ratioToStoreWrite < 0.5) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
