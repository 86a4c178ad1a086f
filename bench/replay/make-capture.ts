// Writes a synthetic capture for the replay benchmark, in its own process so the
// writer's memory does not count in the replayer's peak RSS.
// Usage: make-capture.ts PATH OPS GAP_US CONNS [WORKLOAD]
//
// WORKLOAD `finds` (the default): finds of one small document by a key, no recorded
// replies (the paced and FerretDB runs).
// WORKLOAD `app`: the shape of the workload issue 23 measured against mongoreplay, as our
// proxy records it (full replies, as the stand-in server answers them):
//   - two thirds finds by `_id` (one 1 KiB document back);
//   - one third small inserts;
//   - every 300th operation a find with a batchSize whose cursor production kept open,
//     and 32 operations later (the same connection) its getMore, which ends it: a few
//     multi-batch cursors.
import { BSON } from 'mongodb';
import { openCaptureWriter } from '../../harness/store/writer.ts';
import type { OperationRecord } from '../../harness/model/record.ts';

const [path, opsText, gapText, connsText, workloadText] = process.argv.slice(2);
const ops = Number(opsText);
const gapUs = Number(gapText);
const conns = Number(connsText);
const workload = workloadText ?? 'finds';
if (workload !== 'finds' && workload !== 'app') throw new Error(`make-capture: unknown workload ${workload}`);
const writer = await openCaptureWriter(path!, {
  app: 'bench',
  // No source host: with --allow-writes the write guard then proves the targets distinct
  // from each other only. A source host that does not answer costs the guard its 2 s
  // selection timeout before the first operation (measured: 2.0 s of a 2.4 s start),
  // which is not the replayer's cost; a reachable source adds its identity round trips.
  source: { kind: 'proxy' },
  startedAt: new Date().toISOString(),
  redaction: { mode: 'none' },
  replyMode: workload === 'app' ? 'full' : 'none',
});

/** The stand-in server's documents (stand-in-server.ts), so recorded and replayed replies agree. */
const doc = (i: number): BSON.Document => ({ _id: i, name: `item-${i}`, price: { amount: 10 + i, currency: 'EUR' }, tags: ['a', 'b'], text: 'x'.repeat(900) });
const NS = 'bench.items';
const OPEN = BSON.Long.fromNumber(4242);
const FIND_REPLY = { cursor: { firstBatch: [doc(1)], id: BSON.Long.ZERO, ns: NS }, ok: 1 };
const BATCH_REPLY = { cursor: { firstBatch: [doc(1), doc(2)], id: OPEN, ns: NS }, ok: 1 };
const MORE_REPLY = { cursor: { nextBatch: [doc(3), doc(4)], id: BSON.Long.ZERO, ns: NS }, ok: 1 };
const INSERT_REPLY = { n: 1, ok: 1 };

function appRecord(i: number, base: Omit<OperationRecord, 'cmd' | 'command'>): OperationRecord {
  const phase = i % 300;
  if (phase === 1) {
    return { ...base, cmd: 'find', command: { find: 'items', filter: {}, batchSize: new BSON.Int32(2), $db: 'bench' }, reply: { mode: 'full', doc: BATCH_REPLY } };
  }
  if (phase === 33) {
    return { ...base, cmd: 'getMore', command: { getMore: OPEN, collection: 'items', batchSize: new BSON.Int32(2), $db: 'bench' }, reply: { mode: 'full', doc: MORE_REPLY } };
  }
  if (i % 3 === 2) {
    const d = { _id: new BSON.Int32(1_000_000 + i), k: new BSON.Int32(i % 1000), name: `new-${i}`, at: new Date(1_700_000_000_000 + i) };
    return { ...base, cmd: 'insert', command: { insert: 'items', documents: [d], ordered: true, $db: 'bench' }, reply: { mode: 'full', doc: INSERT_REPLY } };
  }
  return { ...base, cmd: 'find', command: { find: 'items', filter: { _id: new BSON.Int32(i % 1000) }, limit: new BSON.Int32(1), singleBatch: true, $db: 'bench' }, reply: { mode: 'full', doc: FIND_REPLY } };
}

const t0 = Date.now() * 1000;
for (let i = 0; i < ops; i++) {
  const base = { seq: i, t: t0 + i * gapUs, dur: 100, conn: `b:${i % conns}`, app: 'bench', db: 'bench', coll: 'items', op: 'OP_MSG' as const };
  const rec: OperationRecord =
    workload === 'app'
      ? appRecord(i, base)
      : { ...base, cmd: 'find', command: { find: 'items', filter: { k: new BSON.Int32(i % 100) }, limit: new BSON.Int32(1), $db: 'bench' } };
  // A full queue drops the record (fail-open for the proxy); here we wait and write it again.
  while (!writer.write(rec)) await new Promise((r) => setTimeout(r, 20));
  if (writer.queuedBytes > 16 * 2 ** 20) await writer.drain();
}
await writer.close();
process.stdout.write(`${JSON.stringify({ path, ops, workload })}\n`);
