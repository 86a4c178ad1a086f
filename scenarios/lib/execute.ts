import { MongoServerError, type Db, type Document } from 'mongodb';
import type { LegacyClient } from './legacy-client.ts';
import type { ScenarioOp } from './model.ts';

/** What one operation did: the server's error when it refused it (kept, the run goes on). */
export type OpResult = { readonly ok: true } | { readonly ok: false; readonly code?: number; readonly message: string };

/**
 * Sends one scenario operation the way the application's driver call does (helpers,
 * so the driver shapes the command: cursors drained with getMores, bulk writes split,
 * `$readPreference` added). A server error is a result, not a failure: the workload
 * must contain every operation the application sends, accepted or not.
 */
export async function execute(db: Db, op: ScenarioOp, legacy?: LegacyClient): Promise<OpResult> {
  try {
    await send(db, op, legacy);
    return { ok: true };
  } catch (err) {
    // Only the server's answers (bulk write errors included) are results; a lost connection or no server to select stops the run.
    if (!(err instanceof MongoServerError)) throw err;
    return { ok: false, ...(typeof err.code === 'number' ? { code: err.code } : {}), message: err.message };
  }
}

async function send(db: Db, op: ScenarioOp, legacy: LegacyClient | undefined): Promise<void> {
  switch (op.op) {
    case 'find': {
      const cursor = db.collection(op.coll).find(op.filter, {
        ...(op.projection ? { projection: op.projection } : {}),
        ...(op.sort ? { sort: op.sort } : {}),
        ...(op.limit !== undefined ? { limit: op.limit } : {}),
        ...(op.skip !== undefined ? { skip: op.skip } : {}),
        ...(op.batchSize !== undefined ? { batchSize: op.batchSize } : {}),
        ...(op.noCursorTimeout ? { noCursorTimeout: true } : {}),
        ...(op.hint ? { hint: op.hint } : {}),
      });
      await cursor.toArray();
      return;
    }
    case 'aggregate':
      await db
        .collection(op.coll)
        .aggregate(op.pipeline as Document[], { ...(op.allowDiskUse !== undefined ? { allowDiskUse: op.allowDiskUse } : {}), ...(op.batchSize !== undefined ? { batchSize: op.batchSize } : {}) })
        .toArray();
      return;
    case 'findOneAndUpdate':
      await db.collection(op.coll).findOneAndUpdate(op.filter, op.update, {
        ...(op.sort ? { sort: op.sort } : {}),
        ...(op.upsert ? { upsert: true } : {}),
        ...(op.projection ? { projection: op.projection } : {}),
        returnDocument: op.returnNew ? 'after' : 'before',
      });
      return;
    case 'findOneAndDelete':
      await db.collection(op.coll).findOneAndDelete(op.filter, op.sort ? { sort: op.sort } : {});
      return;
    case 'insertOne':
      await db.collection(op.coll).insertOne({ ...op.doc });
      return;
    case 'insertMany':
      await db.collection(op.coll).insertMany(op.docs.map((d) => ({ ...d })), { ordered: op.ordered ?? true });
      return;
    case 'updateOne':
      await db.collection(op.coll).updateOne(op.filter, op.update as Document, op.upsert ? { upsert: true } : {});
      return;
    case 'updateMany':
      await db.collection(op.coll).updateMany(op.filter, op.update as Document, op.upsert ? { upsert: true } : {});
      return;
    case 'replaceOne':
      await db.collection(op.coll).replaceOne(op.filter, op.replacement, op.upsert ? { upsert: true } : {});
      return;
    case 'deleteOne':
      await db.collection(op.coll).deleteOne(op.filter);
      return;
    case 'deleteMany':
      await db.collection(op.coll).deleteMany(op.filter);
      return;
    case 'bulkWrite':
      await db.collection(op.coll).bulkWrite(op.writes as never[], { ordered: op.ordered });
      return;
    case 'countDocuments':
      await db.collection(op.coll).countDocuments(op.filter);
      return;
    case 'distinct':
      await db.collection(op.coll).distinct(op.key, op.filter);
      return;
    case 'runCommand':
      await (op.admin ? db.admin().command(op.command) : db.command(op.command));
      return;
    case 'legacyFind': {
      if (!legacy) throw new Error('legacyFind needs a legacy client');
      const query: Document = op.sort ? { $query: op.filter, $orderby: op.sort } : op.filter;
      const reply = await legacy.query(`${db.databaseName}.${op.coll}`, query, { ...(op.projection ? { fields: op.projection } : {}), ...(op.limit !== undefined ? { limit: op.limit } : {}) });
      if (typeof reply.$err === 'string') throw new MongoServerError({ message: reply.$err, errmsg: reply.$err, ...(typeof reply.code === 'number' ? { code: reply.code } : {}) });
      return;
    }
  }
}
