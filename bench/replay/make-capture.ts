// Writes a synthetic capture for the replay benchmark, in its own process so the
// writer's memory does not count in the replayer's peak RSS.
// Usage: make-capture.ts PATH OPS GAP_US CONNS
import { BSON } from 'mongodb';
import { openCaptureWriter } from '../../harness/store/writer.ts';

const [path, opsText, gapText, connsText] = process.argv.slice(2);
const ops = Number(opsText);
const gapUs = Number(gapText);
const conns = Number(connsText);
const writer = await openCaptureWriter(path!, {
  app: 'bench',
  source: { kind: 'proxy', host: 'bench-source.invalid:27017' },
  startedAt: new Date().toISOString(),
  redaction: { mode: 'none' },
  replyMode: 'none',
});
const t0 = Date.now() * 1000;
for (let i = 0; i < ops; i++) {
  const conn = `b:${i % conns}`;
  const rec = {
    seq: i,
    t: t0 + i * gapUs,
    dur: 100,
    conn,
    app: 'bench',
    db: 'bench',
    coll: 'items',
    cmd: 'find',
    op: 'OP_MSG' as const,
    command: { find: 'items', filter: { k: new BSON.Int32(i % 100) }, limit: new BSON.Int32(1), $db: 'bench' },
  };
  // A full queue drops the record (fail-open for the proxy); here we wait and write it again.
  while (!writer.write(rec)) await new Promise((r) => setTimeout(r, 20));
}
await writer.close();
process.stdout.write(`${JSON.stringify({ path, ops })}\n`);
