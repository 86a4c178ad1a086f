import { Gen, day, scaled, take } from '../lib/gen.ts';
import type { Dataset, Scenario, ScenarioOp } from '../lib/model.ts';

/**
 * data-export, the export CLI (Java driver 5.6): long cursors read to the end (one
 * find, many getMores) with projections and a small `batchSize`, some opened with
 * `noCursorTimeout` as the export job does for its longest reads.
 */
const BASE = Object.freeze({ bookings: 1200, hotels: 40 });

function sizes(scale: number) {
  return { bookings: scaled(BASE.bookings, scale), hotels: scaled(BASE.hotels, scale) };
}

function dataset(seed: number, scale: number): Dataset {
  const n = sizes(scale);
  const g = new Gen(seed, 1);
  const bookings = Array.from({ length: n.bookings }, (_, i) => ({
    _id: i,
    hotelId: g.int(n.hotels),
    bookedAt: day(-g.int(365)),
    nights: g.between(1, 14),
    revenue: g.amount(5000),
    guest: { name: `guest-${g.int(50_000)}`, country: g.of(['FR', 'US', 'DE', 'JP', 'BR']) },
    notes: g.chance(0.3) ? 'late arrival' : '',
  }));
  return { collections: [{ name: 'bookings', docs: bookings, indexes: [{ key: { hotelId: 1, bookedAt: 1 }, name: 'hotelId_1_bookedAt_1' }] }] };
}

type Step = 'export' | 'exportNoTimeout' | 'exportHotel' | 'aggExport' | 'count';
const MIX: readonly (readonly [Step, number])[] = [['export', 3], ['exportNoTimeout', 2], ['exportHotel', 3], ['aggExport', 1], ['count', 1]];

function operations(seed: number, scale: number, count: number): ScenarioOp[] {
  const n = sizes(scale);
  const g = new Gen(seed, 100);
  const projection = { _id: 1, hotelId: 1, bookedAt: 1, revenue: 1, 'guest.country': 1 };
  return take<ScenarioOp>(count, () => {
    switch (g.weighted(MIX)) {
      case 'export': {
        const from = g.int(n.bookings);
        return [{ op: 'find', coll: 'bookings', filter: { _id: { $gte: from, $lt: from + 300 } }, projection, sort: { _id: 1 }, batchSize: 25 + g.int(25) }];
      }
      case 'exportNoTimeout':
        return [{ op: 'find', coll: 'bookings', filter: { nights: { $gte: g.between(1, 10) } }, projection, sort: { _id: 1 }, batchSize: 50, noCursorTimeout: true }];
      case 'exportHotel':
        return [{ op: 'find', coll: 'bookings', filter: { hotelId: { $in: [g.int(n.hotels), g.int(n.hotels)] } }, projection: { guest: 0, notes: 0 }, sort: { bookedAt: 1, _id: 1 }, batchSize: 10 }];
      case 'aggExport':
        return [{ op: 'aggregate', coll: 'bookings', batchSize: 20, pipeline: [{ $match: { 'guest.country': g.of(['FR', 'US', 'DE', 'JP', 'BR']) } }, { $project: { _id: 1, hotelId: 1, revenue: 1 } }, { $sort: { _id: 1 } }] }];
      case 'count':
        return [{ op: 'countDocuments', coll: 'bookings', filter: { bookedAt: { $gte: day(-g.int(365)) } } }];
    }
  });
}

export const dataExport = Object.freeze<Scenario>({
  name: 'data-export',
  app: 'data-export',
  summary: 'export CLI: long cursors (find + many getMores) with projections and small batchSize, noCursorTimeout on the longest, an aggregate export',
  db: 'export',
  client: { connect: 'direct', maxPoolSize: 2 },
  dataset,
  operations,
  notes: ['FerretDB 1.24 refuses find with noCursorTimeout: true ("not implemented yet"): those exports fail there (the capture keeps the error).'],
});
