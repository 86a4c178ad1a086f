// `npm run bench -- lint [--ops N]`: lint throughput over a generated capture.
//
// 1. writes a capture of N operations (default 1,000,000) of an app mix: paged finds,
//    projections, inserts without a write concern, a sorted findAndModify queue from
//    several connections, aggregations with $lookup/$group/$add, updates, handshakes,
//    getMores, and some legacy OP_QUERY traffic;
// 2. baseline in the same run: reading the same file alone (gunzip + parse + revive +
//    validate), the floor of anything that reads a capture;
// 3. `lintCaptures` over the file from 4.2 to 8.0 with every rule.
// Target (issue 16): a 1M-operation capture linted in under a minute on this machine.
// Last line: one JSON object (opsPerSec, readOnlyOpsPerSec, lintSeconds, ...).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON } from 'mongodb';
import { lintCaptures } from '../../harness/lint/lint.ts';
import { RULES } from '../../harness/lint/rules/index.ts';
import type { OperationRecord } from '../../harness/model/record.ts';
import { readCapture } from '../../harness/store/reader.ts';
import { openCaptureWriter } from '../../harness/store/writer.ts';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const OPS = arg('ops', 1_000_000);
const i32 = (n: number) => new BSON.Int32(n);

/** One operation of the mix; `i` picks the kind and varies the literals. */
function operation(i: number): OperationRecord {
  const k = i % 20;
  const conn = `p1:${i % 48}`;
  const app = i % 7 === 0 ? 'legacy' : 'shop';
  const base = { seq: i, t: 1_700_000_000_000_000 + i * 50, dur: 120, conn, app, db: 'shop' };
  const msg = (cmd: string, coll: string | undefined, command: BSON.Document): OperationRecord => ({ ...base, ...(coll ? { coll } : {}), cmd, op: 'OP_MSG', command: { ...command, $db: 'shop' } });
  switch (k) {
    case 0:
    case 1:
    case 2:
      return msg('find', 'orders', { find: 'orders', filter: { companyId: i32(i % 500), status: 'open' }, sort: { createdAt: i32(-1) }, skip: i32((i % 5) * 20), limit: i32(20) });
    case 3:
      return msg('find', 'orders', { find: 'orders', filter: { _id: new BSON.ObjectId() }, projection: { items: i32(1), total: i32(1) } });
    case 4:
    case 5:
      return msg('insert', 'events', { insert: 'events', documents: [{ _id: new BSON.ObjectId(), kind: 'view', at: new Date(1_700_000_000_000 + i), n: i32(i) }] });
    case 6:
      return msg('findAndModify', 'jobs', { findAndModify: 'jobs', query: { status: 'pending' }, sort: { priority: i32(-1), createdAt: i32(1) }, update: { $set: { status: 'running', owner: `w${i % 8}` } }, new: true });
    case 7:
      return msg('aggregate', 'orders', {
        aggregate: 'orders',
        pipeline: [
          { $match: { companyId: i32(i % 500), deletedAt: null } },
          { $lookup: { from: 'companies', localField: 'companyId', foreignField: '_id', as: 'company' } },
          { $group: { _id: '$status', total: { $sum: '$total' }, n: { $sum: i32(1) } } },
          { $project: { total: { $add: ['$total', new BSON.Double(0.5)] }, n: i32(1) } },
        ],
        cursor: {},
      });
    case 8:
    case 9:
      return msg('update', 'orders', { update: 'orders', updates: [{ q: { _id: i32(i) }, u: { $set: { status: 'paid' }, $inc: { version: i32(1) } } }], writeConcern: { w: 'majority' } });
    case 10:
      return { ...base, cmd: 'isMaster', op: 'OP_QUERY', command: { isMaster: i32(1), client: { driver: { name: 'nodejs', version: '6.9.0' } } } };
    case 11:
      return msg('getMore', 'orders', { getMore: BSON.Long.fromNumber(1000 + i), collection: 'orders', batchSize: i32(100) });
    case 12:
      return app === 'legacy'
        ? { ...base, coll: 'orders', cmd: 'find', op: 'OP_QUERY', command: { find: 'orders', filter: { companyId: i32(i % 500) }, limit: i32(20) } }
        : msg('count', 'orders', { count: 'orders', query: { status: 'open' } });
    case 13:
      return msg('delete', 'sessions', { delete: 'sessions', deletes: [{ q: { expiresAt: { $lt: new Date(1_700_000_000_000) } }, limit: i32(0) }] });
    case 14:
      return msg('distinct', 'orders', { distinct: 'orders', key: 'status', query: {} });
    default:
      return msg('find', 'companies', { find: 'companies', filter: { _id: i32(i % 500) }, limit: i32(1), singleBatch: true });
  }
}

const dir = mkdtempSync(join(tmpdir(), 'mc-bench-lint-'));
const file = join(dir, 'lint.jsonl.gz');
try {
  const writer = await openCaptureWriter(file, { app: 'shop', source: { kind: 'proxy' }, startedAt: new Date().toISOString(), redaction: { mode: 'none' }, replyMode: 'none' });
  for (let i = 0; i < OPS; i++) {
    writer.write(operation(i));
    if ((i & 1023) === 1023 && writer.queuedBytes > 8 * 1024 * 1024) await writer.drain();
  }
  await writer.close();
  if (writer.dropped > 0) throw new Error(`writer dropped ${writer.dropped} records`);
  process.stderr.write(`capture: ${OPS} operations, ${(statSync(file).size / 1e6).toFixed(1)} MB\n`);

  let t = performance.now();
  let read = 0;
  for await (const _ of readCapture(file)) read++;
  const readSeconds = (performance.now() - t) / 1000;
  process.stderr.write(`read alone: ${read} records in ${readSeconds.toFixed(1)} s\n`);

  t = performance.now();
  const cpu = process.cpuUsage();
  const result = await lintCaptures([file], { from: '4.2', to: '8.0' });
  const lintSeconds = (performance.now() - t) / 1000;
  const cpuUsed = process.cpuUsage(cpu);
  const findings = result.apps.reduce((n, a) => n + a.steps.reduce((m, s) => m + s.findings.length, 0), 0);
  process.stderr.write(`lint: ${result.records} records in ${lintSeconds.toFixed(1)} s, ${findings} findings over ${result.apps.length} apps\n`);
  if (result.records !== OPS) throw new Error(`lint read ${result.records} of ${OPS} records`);

  const figures = {
    ops: OPS,
    rules: RULES.length,
    opsPerSec: Math.round(OPS / lintSeconds),
    lintSeconds: Number(lintSeconds.toFixed(2)),
    opsPerCpuSec: Math.round(OPS / ((cpuUsed.user + cpuUsed.system) / 1e6)),
    readOnlyOpsPerSec: Math.round(OPS / readSeconds),
    ratioToReadOnly: Number((readSeconds / lintSeconds).toFixed(3)),
    findings,
    targetMet: lintSeconds < 60,
    loadAvg1m: Number(loadavg()[0]!.toFixed(2)),
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
