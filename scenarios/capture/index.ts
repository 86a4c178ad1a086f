import { Gen, day, minute, scaled, take } from '../lib/gen.ts';
import type { Dataset, Scenario, ScenarioOp } from '../lib/model.ts';

/**
 * Capture, the Jetty server (Java driver 5.6): bursts of inserts and upserts as
 * reservations and rate pushes arrive, with monolith-like CRUD reads between bursts.
 */
const BASE = Object.freeze({ hotels: 40, reservations: 150 });

function sizes(scale: number) {
  return { hotels: scaled(BASE.hotels, scale), reservations: scaled(BASE.reservations, scale) };
}

function dataset(seed: number, scale: number): Dataset {
  const n = sizes(scale);
  const g = new Gen(seed, 1);
  const reservations = Array.from({ length: n.reservations }, (_, i) => ({ _id: `res-${i}`, hotelId: g.int(n.hotels), guest: `guest-${g.int(10_000)}`, arrival: day(g.int(60)), nights: g.between(1, 7), total: g.amount(2000), status: 'confirmed' }));
  const inventory = Array.from({ length: n.hotels }, (_, i) => ({ _id: i, rooms: g.between(20, 300), sold: 0 }));
  return {
    collections: [
      { name: 'reservations', docs: reservations, indexes: [{ key: { hotelId: 1, arrival: 1 }, name: 'hotelId_1_arrival_1' }] },
      { name: 'ratePushes', docs: [], indexes: [{ key: { hotelId: 1, date: 1 }, name: 'hotelId_1_date_1', unique: true }] },
      { name: 'inventory', docs: inventory },
    ],
  };
}

type Step = 'insertBurst' | 'upsertBurst' | 'read' | 'cancel' | 'sell';
const MIX: readonly (readonly [Step, number])[] = [['insertBurst', 3], ['upsertBurst', 3], ['read', 3], ['cancel', 1], ['sell', 2]];

function operations(seed: number, scale: number, count: number): ScenarioOp[] {
  const n = sizes(scale);
  const g = new Gen(seed, 100);
  return take<ScenarioOp>(count, (i) => {
    switch (g.weighted(MIX)) {
      case 'insertBurst': {
        // A burst: one insertMany, then single inserts as stragglers arrive.
        const size = 5 + g.int(20);
        const docs = Array.from({ length: size }, (_, k) => ({ _id: `res-s${seed}-${i}-${k}`, hotelId: g.int(n.hotels), guest: `guest-${g.int(10_000)}`, arrival: day(g.int(60)), nights: g.between(1, 7), total: g.amount(2000), status: 'confirmed', receivedAt: minute(i) }));
        return [{ op: 'insertMany', coll: 'reservations', docs, ordered: true }, { op: 'insertOne', coll: 'reservations', doc: { _id: `res-s${seed}-${i}-late`, hotelId: g.int(n.hotels), guest: `guest-${g.int(10_000)}`, arrival: day(g.int(60)), nights: 1, total: g.amount(500), status: 'confirmed', receivedAt: minute(i) } }];
      }
      case 'upsertBurst': {
        const hotelId = g.int(n.hotels);
        return Array.from({ length: 3 + g.int(6) }, (): ScenarioOp => {
          const d = g.int(30);
          return { op: 'updateOne', coll: 'ratePushes', filter: { hotelId, date: day(d) }, update: { $set: { price: g.amount(400), pushedAt: minute(i) }, $setOnInsert: { _id: `${hotelId}:${d}`, firstPushedAt: minute(i) }, $inc: { pushes: 1 } }, upsert: true };
        });
      }
      case 'read':
        return [{ op: 'find', coll: 'reservations', filter: { hotelId: g.int(n.hotels), status: 'confirmed' }, projection: { guest: 1, arrival: 1, nights: 1, total: 1 }, sort: { arrival: 1, _id: 1 }, limit: 25 }];
      case 'cancel':
        return [{ op: 'updateOne', coll: 'reservations', filter: { _id: `res-${g.int(n.reservations)}`, status: 'confirmed' }, update: { $set: { status: 'cancelled', cancelledAt: minute(i) } } }];
      case 'sell':
        return [{ op: 'replaceOne', coll: 'inventory', filter: { _id: g.int(n.hotels) }, replacement: { rooms: g.between(20, 300), sold: g.int(20), at: minute(i) }, upsert: true }];
    }
  });
}

export const capture = Object.freeze<Scenario>({
  name: 'capture',
  app: 'capture',
  summary: 'Jetty server: bursts of insertMany/insertOne and upserts ($set/$setOnInsert/$inc, replaceOne upsert), CRUD reads between bursts',
  db: 'capture',
  client: { connect: 'replica-set', maxPoolSize: 8 },
  dataset,
  operations,
});
