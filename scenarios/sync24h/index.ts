import type { Document } from 'mongodb';
import { Gen, day, minute, scaled, take } from '../lib/gen.ts';
import type { Dataset, Scenario, ScenarioOp } from '../lib/model.ts';

/**
 * 24 Hour Sync (Java driver 5.6): periodic batches of bulk upserts (`bulkWrite`,
 * ordered and unordered: updateOne/replaceOne with upsert, the odd delete), each batch
 * between reading and advancing its checkpoint document.
 */
const BASE = Object.freeze({ properties: 50, daysAhead: 20 });
const FEEDS = ['pms', 'crs', 'channel'] as const;

function sizes(scale: number) {
  return { properties: scaled(BASE.properties, scale), daysAhead: BASE.daysAhead };
}

function dataset(seed: number, scale: number): Dataset {
  const n = sizes(scale);
  const g = new Gen(seed, 1);
  const availability = [];
  for (let p = 0; p < n.properties; p++) for (let d = 0; d < 5; d++) availability.push({ _id: `${p}:${d}`, property: p, date: day(d), free: g.between(0, 50), syncedAt: minute(-1000) });
  return {
    collections: [
      { name: 'availability', docs: availability, indexes: [{ key: { property: 1, date: 1 }, name: 'property_1_date_1' }] },
      { name: 'checkpoints', docs: FEEDS.map((f) => ({ _id: f, batch: 0, lastSyncedAt: minute(-1000) })) },
    ],
  };
}

function operations(seed: number, scale: number, count: number): ScenarioOp[] {
  const n = sizes(scale);
  const g = new Gen(seed, 100);
  return take<ScenarioOp>(count, (b) => {
    const feed = g.of(FEEDS);
    const writes: Document[] = [];
    const size = 10 + g.int(30);
    for (let k = 0; k < size; k++) {
      const property = g.int(n.properties);
      const d = g.int(n.daysAhead);
      const id = `${property}:${d}`;
      const kind = g.weighted([['update', 6], ['replace', 2], ['delete', 1]] as const);
      if (kind === 'update') writes.push({ updateOne: { filter: { _id: id }, update: { $set: { property, date: day(d), free: g.between(0, 50), syncedAt: minute(b) }, $setOnInsert: { createdAt: minute(b) } }, upsert: true } });
      else if (kind === 'replace') writes.push({ replaceOne: { filter: { _id: id }, replacement: { property, date: day(d), free: g.between(0, 50), syncedAt: minute(b), feed }, upsert: true } });
      else writes.push({ deleteOne: { filter: { _id: id, free: 0 } } });
    }
    const ops: ScenarioOp[] = [
      { op: 'find', coll: 'checkpoints', filter: { _id: feed }, limit: 1 },
      { op: 'bulkWrite', coll: 'availability', ordered: g.chance(0.5), writes },
      { op: 'updateOne', coll: 'checkpoints', filter: { _id: feed }, update: { $set: { lastSyncedAt: minute(b) }, $inc: { batch: 1 } }, upsert: true },
    ];
    if (g.chance(0.3)) ops.push({ op: 'find', coll: 'availability', filter: { syncedAt: { $gte: minute(b - 5) } }, projection: { property: 1, date: 1, free: 1 }, sort: { _id: 1 }, batchSize: 100 });
    return ops;
  });
}

export const sync24h = Object.freeze<Scenario>({
  name: 'sync24h',
  app: 'sync24h',
  summary: '24 Hour Sync: checkpoint read, bulkWrite of upserts (ordered and unordered: updateOne/replaceOne upsert, deleteOne), checkpoint advance, reads of what changed',
  db: 'sync',
  client: { connect: 'replica-set', maxPoolSize: 2 },
  dataset,
  operations,
});
