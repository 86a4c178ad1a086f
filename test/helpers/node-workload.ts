import { BSON, type Db, type MongoServerError } from 'mongodb';

/**
 * The mixed workload both drivers run through the proxy: insert, find with getMore,
 * aggregate, findAndModify, updateMany with upsert, delete, createIndexes and two
 * errors (duplicate key, unknown command). Results are returned as relaxed Extended
 * JSON so two runs can be compared.
 */
export async function nodeWorkload(db: Db): Promise<unknown[]> {
  const c = db.collection<{ _id: number; state?: string; priority?: number; tags?: string[]; touched?: boolean }>('jobs');
  const out: unknown[] = [];
  const docs = Array.from({ length: 30 }, (_, i) => ({ _id: i, state: i % 3 === 0 ? 'pending' : 'done', priority: i % 5, tags: ['a', `t${i % 4}`] }));
  out.push(await c.insertMany(docs));
  out.push(await c.find({}, { batchSize: 5 }).sort({ _id: 1 }).toArray());
  out.push(await c.aggregate([{ $group: { _id: '$state', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray());
  out.push(await c.findOneAndUpdate({ state: 'pending' }, { $set: { state: 'running' } }, { sort: { priority: -1, _id: 1 }, returnDocument: 'after' }));
  out.push(await c.updateMany({ _id: { $gte: 28 } }, { $set: { touched: true } }, { upsert: true }));
  out.push(await c.updateMany({ _id: 99 }, { $set: { touched: true } }, { upsert: true }));
  out.push(await c.deleteMany({ state: 'done', priority: 0 }));
  out.push(await c.createIndex({ priority: 1 }));
  out.push(await c.countDocuments({}));
  try {
    await c.insertOne({ _id: 1 });
  } catch (err) {
    out.push({ error: (err as MongoServerError).code });
  }
  try {
    await db.command({ noSuchCommandHere: 1 });
  } catch (err) {
    out.push({ error: (err as MongoServerError).code });
  }
  return JSON.parse(BSON.EJSON.stringify(out, { relaxed: true })) as unknown[];
}

/** Commands the workload sends (what the capture must hold, besides connection handshakes and heartbeats). */
export const WORKLOAD_COMMANDS = ['insert', 'find', 'getMore', 'aggregate', 'findAndModify', 'update', 'delete', 'createIndexes', 'noSuchCommandHere'];
