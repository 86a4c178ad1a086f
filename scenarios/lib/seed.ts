import type { Db } from 'mongodb';
import type { Scenario } from './model.ts';

/**
 * Drops the scenario's database and loads its dataset: documents in batches of 1,000,
 * then the indexes (an empty collection is created by its index build, or explicitly).
 * The same (seed, scale) gives the same documents on every server, so a capture
 * replays against fresh servers seeded alike.
 */
export async function seedScenario(db: Db, s: Scenario, seed: number, scale: number): Promise<{ documents: number }> {
  await db.dropDatabase();
  let documents = 0;
  for (const c of s.dataset(seed, scale).collections) {
    const coll = db.collection(c.name);
    if (c.docs.length === 0 && !c.indexes?.length) await db.createCollection(c.name);
    for (let i = 0; i < c.docs.length; i += 1000) {
      // Copies: the driver adds nothing to documents that have an _id, but the dataset stays untouched either way.
      await coll.insertMany(c.docs.slice(i, i + 1000).map((d) => ({ ...d })));
    }
    documents += c.docs.length;
    for (const ix of c.indexes ?? []) await coll.createIndex(ix.key, { name: ix.name, ...(ix.unique ? { unique: true } : {}) });
  }
  return { documents };
}
