// bench compare: classified operation pairs per (CPU) second through the whole compare
// stage (normalise, diff, classify, group, latency samples), for 1 KiB replies and
// for 1,000-document cursor results. Baseline in the same run: the naive comparison
// a byte-minded tool would do, canonical Extended JSON of both replies compared as
// strings (no volatile fields, no order, no classes). Ends with one JSON line.
import { BSON } from 'mongodb';
import { Comparator } from '../../harness/compare/compare.ts';
import { shapeOf } from '../../harness/model/shape.ts';
import type { OperationOutcome, TargetOutcome } from '../../harness/model/run/outcome.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

/** A reply of about 1 KiB: a findAndModify-like value document with mixed types. */
function reply1KiB(i: number): BSON.Document {
  const value: BSON.Document = { _id: new BSON.ObjectId(), status: 'running', priority: new BSON.Int32(i % 10), attempts: BSON.Long.fromNumber(i) };
  for (let f = 0; f < 22; f++) value[`field${f}`] = f % 3 === 0 ? `text-${i}-${f}-lorem-ipsum-dolor` : f % 3 === 1 ? new BSON.Double(f * 1.5) : { n: new BSON.Int32(f), at: new Date(1_700_000_000_000 + f) };
  return { lastErrorObject: { n: new BSON.Int32(1), updatedExisting: true }, value, ok: new BSON.Double(1) };
}

function cursorDoc(i: number): BSON.Document {
  return { _id: new BSON.Int32(i), sku: `sku-${i}`, qty: new BSON.Int32(i % 50), price: new BSON.Double(i / 7), tags: ['a', 'b'], updated: new Date(1_700_000_000_000 + i) };
}

const gossip = (t: number): BSON.Document => ({ $clusterTime: { clusterTime: new BSON.Timestamp({ t, i: 1 }), signature: { hash: new BSON.Binary(Buffer.alloc(20)), keyId: BSON.Long.fromNumber(0) } }, operationTime: new BSON.Timestamp({ t, i: 1 }) });

/** Each side decoded from its own bytes, as the replayer hands them over (promoteValues: false). */
function decode(doc: BSON.Document): BSON.Document {
  return BSON.deserialize(BSON.serialize(doc), { promoteValues: false });
}

function outcome1KiB(i: number): OperationOutcome {
  const command = { findAndModify: 'jobs', query: { status: 'pending' }, sort: { priority: -1 }, update: { $set: { status: 'running' } }, new: true };
  const r = reply1KiB(i);
  const base: TargetOutcome = { status: 'ok', reply: decode({ ...r, ...gossip(1) }), latencyUs: 800 + (i % 97) };
  const cand: TargetOutcome = { status: 'ok', reply: decode({ ...r, ...gossip(2) }), latencyUs: 820 + (i % 89) };
  return { seq: i, conn: 'c1', app: 'bench', db: 'app', coll: 'jobs', cmd: 'findAndModify', shape: shapeOf(command).id, command, targets: { base, cand } };
}

function outcomeCursor(i: number, shuffle: boolean): OperationOutcome {
  const command = { find: 'stock', filter: { qty: { $gte: 0 } } };
  const docs = Array.from({ length: 1000 }, (_, d) => cursorDoc(d));
  const a = decode({ d: docs }).d as BSON.Document[];
  const b = decode({ d: shuffle ? [...docs].reverse() : docs }).d as BSON.Document[];
  const reply = { cursor: { firstBatch: [], id: BSON.Long.fromNumber(0), ns: 'app.stock' }, ok: new BSON.Double(1) };
  return {
    seq: i,
    conn: 'c1',
    app: 'bench',
    db: 'app',
    coll: 'stock',
    cmd: 'find',
    shape: shapeOf(command).id,
    command,
    targets: { base: { status: 'ok', reply: decode({ ...reply, ...gossip(1) }), docs: a, latencyUs: 5000 }, cand: { status: 'ok', reply: decode({ ...reply, ...gossip(2) }), docs: b, latencyUs: 5100 } },
  };
}

/**
 * Runs `fn` over the pool round-robin for SECONDS (after a short warm-up). Returns
 * calls per CPU-second of this process (user + system, so GC threads count) and per
 * wall-clock second. The CPU figure is the headline: the machine's two cores are
 * shared with other jobs, and wall-clock rates swing twofold with their load.
 */
function rate(pool: readonly OperationOutcome[], fn: (o: OperationOutcome) => void): { cpu: number; wall: number } {
  const warm = Date.now() + 300;
  let i = 0;
  while (Date.now() < warm) fn(pool[i++ % pool.length]!);
  globalThis.gc?.();
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const budget = BigInt(Math.round(SECONDS * 1e9));
  let n = 0;
  for (;;) {
    for (let k = 0; k < 64; k++) fn(pool[n++ % pool.length]!);
    if (process.hrtime.bigint() - start >= budget) break;
  }
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu0);
  return { cpu: n / ((used.user + used.system) / 1e6), wall: n / wall };
}

function naive(o: OperationOutcome): boolean {
  const s = (t: TargetOutcome | undefined) => BSON.EJSON.stringify({ r: t?.reply ?? null, d: t?.docs ?? null }, { relaxed: false });
  return s(o.targets.base) === s(o.targets.cand);
}

function classified(): { add: (o: OperationOutcome) => void; finish: () => ReturnType<Comparator['finish']> } {
  // A fresh comparator per measurement; latency samples grow with n, as in a real run.
  const c = new Comparator({ baseline: 'base' });
  return { add: (o) => c.add(o), finish: () => c.finish() };
}

const pool1 = Array.from({ length: 256 }, (_, i) => outcome1KiB(i));
const replyBytes = BSON.calculateObjectSize(pool1[0]!.targets.base!.reply!);
const poolC = Array.from({ length: 4 }, (_, i) => outcomeCursor(i, false));
const poolS = Array.from({ length: 4 }, (_, i) => outcomeCursor(i, true));

const c1 = classified();
const pairsPerSec1KiB = rate(pool1, c1.add);
const check1 = c1.finish();
const naive1KiB = rate(pool1, naive);
const cc = classified();
const pairsPerSecCursor1000 = rate(poolC, cc.add);
const checkC = cc.finish();
const cs = classified();
const pairsPerSecCursor1000Shuffled = rate(poolS, cs.add);
const checkS = cs.finish();
const naiveCursor1000 = rate(poolC, naive);

// The figures only count if the work was real: every 1 KiB and in-order pair identical
// (only the removed gossip fields differ), every reversed one order-only.
const counts = (r: ReturnType<Comparator['finish']>) => r.verdicts[0]?.counts ?? {};
if (Object.keys(counts(check1)).join() !== 'identical' || Object.keys(counts(checkC)).join() !== 'identical' || Object.keys(counts(checkS)).join() !== 'order-only') {
  process.stderr.write(`bench compare: unexpected classes ${JSON.stringify([counts(check1), counts(checkC), counts(checkS)])}\n`);
  process.exit(1);
}

const fmt = (r: { cpu: number; wall: number }) => `${Math.round(r.cpu).toLocaleString('en')}/cpu-s (${Math.round(r.wall).toLocaleString('en')}/wall-s)`;
process.stderr.write(
  [
    `reply size ${replyBytes} bytes; ${SECONDS}s per measurement`,
    `1 KiB replies:        ${fmt(pairsPerSec1KiB)} classified pairs (naive EJSON string compare: ${fmt(naive1KiB)})`,
    `1,000-doc cursors:    ${fmt(pairsPerSecCursor1000)} pairs in order, ${fmt(pairsPerSecCursor1000Shuffled)} reversed (naive: ${fmt(naiveCursor1000)})`,
    '',
  ].join('\n'),
);
process.stdout.write(
  `${JSON.stringify({
    bench: 'compare',
    pairsPerSec1KiB: Math.round(pairsPerSec1KiB.cpu),
    pairsPerSecCursor1000: Math.round(pairsPerSecCursor1000.cpu),
    pairsPerSecCursor1000Shuffled: Math.round(pairsPerSecCursor1000Shuffled.cpu),
    naivePairsPerSec1KiB: Math.round(naive1KiB.cpu),
    naivePairsPerSecCursor1000: Math.round(naiveCursor1000.cpu),
    ratio1KiB: Number((pairsPerSec1KiB.cpu / naive1KiB.cpu).toFixed(2)),
    ratioCursor1000: Number((pairsPerSecCursor1000.cpu / naiveCursor1000.cpu).toFixed(2)),
    wallPairsPerSec1KiB: Math.round(pairsPerSec1KiB.wall),
    wallPairsPerSecCursor1000: Math.round(pairsPerSecCursor1000.wall),
    replyBytes,
  })}\n`,
);
