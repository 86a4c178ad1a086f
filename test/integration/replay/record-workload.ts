import { randomUUID } from 'node:crypto';
import { BSON, MongoClient } from 'mongodb';
import { openCaptureWriter } from '../../../harness/store/writer.ts';
import type { OperationRecord } from '../../../harness/model/record.ts';

/**
 * Builds a capture the way the proxy would, from operations the test sends itself:
 * each command runs against a real server and its command, reply and timing become a
 * record. Cursor follow-ups (getMore) are sent with the live ids the server returned,
 * so the capture holds real recorded cursor ids.
 */
export interface Step {
  readonly conn: string;
  readonly db: string;
  readonly command: BSON.Document;
  /** Follow the cursor of this command with getMores until it is exhausted. */
  readonly follow?: boolean;
  /** Record without sending (e.g. a getMore of a cursor opened before the capture). */
  readonly recordOnly?: boolean;
  readonly app?: string;
}

export interface RecordedCapture {
  readonly path: string;
  readonly records: number;
}

export async function recordWorkload(uri: string, path: string, steps: readonly Step[], options: { sourceHost?: string; gapUs?: number } = {}): Promise<RecordedCapture> {
  const client = new MongoClient(uri);
  await client.connect();
  const writer = await openCaptureWriter(path, {
    app: 'test-app',
    source: { kind: 'proxy', host: options.sourceHost ?? new URL(uri.replace('mongodb://', 'http://')).host },
    startedAt: new Date().toISOString(),
    redaction: { mode: 'none' },
    replyMode: 'full',
  });
  const sessions = new Map<string, BSON.Binary>();
  let seq = 0;
  let t = Date.now() * 1000;
  const gap = options.gapUs ?? 1000;
  const lsidOf = (conn: string) => {
    let id = sessions.get(conn);
    if (!id) sessions.set(conn, (id = new BSON.Binary(Buffer.from(randomUUID().replace(/-/g, ''), 'hex'), 4)));
    return { id };
  };
  const push = (step: Step, command: BSON.Document, reply: BSON.Document | undefined, error: BSON.Document | undefined, dur: number) => {
    const cmd = Object.keys(command)[0]!;
    const coll = typeof command[cmd] === 'string' ? (command[cmd] as string) : typeof command.collection === 'string' ? (command.collection as string) : undefined;
    const rec: OperationRecord = {
      seq: seq++,
      t: (t += gap),
      dur,
      conn: step.conn,
      app: step.app ?? 'test-app',
      db: step.db,
      ...(coll ? { coll } : {}),
      cmd,
      op: 'OP_MSG',
      command: { ...command, lsid: lsidOf(step.conn), $db: step.db },
      ...(reply ? { reply: { mode: 'full' as const, doc: reply } } : {}),
      ...(error ? { error: { code: error.code as number, codeName: error.codeName as string, message: error.errmsg as string } } : {}),
    };
    if (!writer.write(rec)) throw new Error('capture writer dropped a record');
  };
  const run = async (step: Step, command: BSON.Document) => {
    const start = performance.now();
    try {
      const reply = await client.db(step.db).command(command, { promoteValues: false, promoteLongs: false });
      push(step, command, reply, undefined, Math.round((performance.now() - start) * 1000));
      return reply;
    } catch (err) {
      push(step, command, undefined, err as BSON.Document, Math.round((performance.now() - start) * 1000));
      return undefined;
    }
  };
  try {
    for (const step of steps) {
      if (step.recordOnly) {
        push(step, step.command, undefined, undefined, 0);
        continue;
      }
      const reply = await run(step, step.command);
      if (!step.follow || !reply) continue;
      let cursor = reply.cursor as BSON.Document;
      const coll = String(cursor.ns).slice(String(cursor.ns).indexOf('.') + 1);
      while (cursor && !(cursor.id as BSON.Long).isZero()) {
        const next = await run(step, { getMore: cursor.id, collection: coll, batchSize: new BSON.Int32(3) });
        cursor = next?.cursor as BSON.Document;
      }
    }
  } finally {
    await writer.close();
    await client.close();
  }
  return { path, records: seq };
}
