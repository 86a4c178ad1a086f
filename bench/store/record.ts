import { BSON } from 'mongodb';
import type { OperationRecord } from '../../harness/model/record.ts';

/** A job-queue findAndModify with its reply: about 1 KiB as a capture line. */
export function record(seq: number): OperationRecord {
  return {
    seq,
    t: 1_795_000_000_000_000 + seq * 37,
    dur: 150 + (seq % 97),
    conn: `p1:${seq % 64}`,
    app: seq % 3 === 0 ? 'monolith' : 'gcsp',
    db: 'prod',
    coll: 'jobs',
    cmd: 'findAndModify',
    op: 'OP_MSG',
    command: {
      findAndModify: 'jobs',
      query: { status: 'pending', kind: { $in: ['optimize', 'export'] }, tenant: new BSON.ObjectId() },
      sort: { priority: new BSON.Int32(-1), createdAt: new BSON.Int32(1) },
      update: { $set: { status: 'running', owner: `worker-${seq % 16}`, startedAt: new Date(1_795_000_000_000 + seq) } },
      new: true,
      lsid: { id: new BSON.Binary(Buffer.alloc(16, seq % 251), 4) },
      $clusterTime: { clusterTime: new BSON.Timestamp({ t: 1_795_000_000, i: seq % 1000 }) },
      $db: 'prod',
    },
    reply: {
      mode: 'full',
      doc: {
        lastErrorObject: { n: new BSON.Int32(1), updatedExisting: true },
        value: {
          _id: new BSON.ObjectId(),
          status: 'running',
          priority: new BSON.Int32(seq % 10),
          amount: new BSON.Decimal128('1234.50'),
          payload: { items: [new BSON.Int32(1), new BSON.Int32(2)] },
          createdAt: new Date(1_700_000_000_000),
        },
        ok: new BSON.Double(1),
      },
    },
    replySize: 412,
    wire: { requestId: seq, replies: 1 },
  };
}

