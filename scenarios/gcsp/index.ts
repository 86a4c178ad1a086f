import type { Document } from 'mongodb';
import { day, Gen, minute, scaled, take } from '../lib/gen.ts';
import type { Dataset, Scenario, ScenarioOp } from '../lib/model.ts';

/**
 * GCSP, the stream processor (Java driver 5.6): the service forces secondary reads
 * (`readPreference=secondary`; the driver sends `$readPreference` with every read and
 * replay keeps it on replica-set targets), aggregations joining hotels to their rates
 * with `$lookup` and summing with `$group`, change-heavy rate and event collections,
 * and a backfill queue.
 */
const BASE = Object.freeze({ hotels: 60, ratesPerHotel: 14, events: 300, backfill: 80 });

function sizes(scale: number) {
  return { hotels: scaled(BASE.hotels, scale), ratesPerHotel: BASE.ratesPerHotel, events: scaled(BASE.events, scale), backfill: scaled(BASE.backfill, scale) };
}

function dataset(seed: number, scale: number): Dataset {
  const n = sizes(scale);
  const g = new Gen(seed, 1);
  const hotels = Array.from({ length: n.hotels }, (_, i) => ({ _id: i, name: `Hotel ${i}`, chain: g.of(['north', 'south', 'east', 'west']), rooms: g.between(30, 300) }));
  const rates: Document[] = [];
  for (let h = 0; h < n.hotels; h++) for (let d = 0; d < n.ratesPerHotel; d++) rates.push({ _id: `${h}:${d}`, hotelId: h, date: day(d), price: g.amount(300), channel: g.of(['web', 'gds', 'ota']), rev: 0 });
  const events = Array.from({ length: n.events }, (_, i) => ({ _id: `ev-${i}`, hotelId: g.int(n.hotels), kind: g.of(['price', 'availability', 'restriction']), at: minute(-n.events + i), processed: g.chance(0.5) }));
  const backfill = Array.from({ length: n.backfill }, (_, i) => ({ _id: `bf-${i}`, hotelId: g.int(n.hotels), from: day(-30), to: day(0), state: 'queued', priority: g.int(5), queuedAt: minute(-n.backfill + i) }));
  return {
    collections: [
      { name: 'hotels', docs: hotels },
      { name: 'rates', docs: rates, indexes: [{ key: { hotelId: 1, date: 1 }, name: 'hotelId_1_date_1' }] },
      { name: 'events', docs: events, indexes: [{ key: { processed: 1, at: 1 }, name: 'processed_1_at_1' }] },
      { name: 'backfill', docs: backfill },
    ],
  };
}

type Step = 'readRates' | 'lookup' | 'group' | 'ratesChange' | 'events' | 'markProcessed' | 'purge' | 'backfillClaim' | 'countEvents';
const MIX: readonly (readonly [Step, number])[] = [
  ['readRates', 6], ['lookup', 2], ['group', 3], ['ratesChange', 4], ['events', 3], ['markProcessed', 2], ['purge', 1], ['backfillClaim', 2], ['countEvents', 1],
];

function operations(seed: number, scale: number, count: number): ScenarioOp[] {
  const n = sizes(scale);
  const g = new Gen(seed, 100);
  return take<ScenarioOp>(count, (i) => {
    const hotel = g.int(n.hotels);
    switch (g.weighted(MIX)) {
      case 'readRates': {
        const from = g.int(n.ratesPerHotel - 3);
        return [{ op: 'find', coll: 'rates', filter: { hotelId: hotel, date: { $gte: day(from), $lt: day(from + 3) } }, projection: { _id: 0, date: 1, price: 1, channel: 1 }, sort: { date: 1, channel: 1 } }];
      }
      case 'lookup':
        return [{ op: 'aggregate', coll: 'hotels', pipeline: [{ $match: { chain: g.of(['north', 'south', 'east', 'west']) } }, { $lookup: { from: 'rates', localField: '_id', foreignField: 'hotelId', as: 'rates' } }, { $unwind: '$rates' }, { $group: { _id: '$_id', minPrice: { $min: '$rates.price' } } }, { $sort: { _id: 1 } }, { $limit: 10 }] }];
      case 'group':
        return [{ op: 'aggregate', coll: 'rates', pipeline: [{ $match: { channel: g.of(['web', 'gds', 'ota']), date: { $lt: day(7) } } }, { $group: { _id: '$hotelId', avg: { $avg: '$price' }, n: { $sum: 1 } } }, { $sort: { avg: -1, _id: 1 } }, { $limit: 5 }] }];
      case 'ratesChange':
        return [{ op: 'updateMany', coll: 'rates', filter: { hotelId: hotel, date: { $gte: day(g.int(n.ratesPerHotel)) } }, update: { $set: { price: g.amount(300) }, $inc: { rev: 1 } } }];
      case 'events':
        return [{ op: 'insertMany', coll: 'events', ordered: true, docs: Array.from({ length: 1 + g.int(5) }, (_, k) => ({ _id: `ev-s${seed}-${i}-${k}`, hotelId: g.int(n.hotels), kind: g.of(['price', 'availability', 'restriction']), at: minute(i), processed: false })) }];
      case 'markProcessed':
        return [{ op: 'updateMany', coll: 'events', filter: { processed: false, hotelId: hotel }, update: { $set: { processed: true, processedAt: minute(i) } } }];
      case 'purge':
        return [{ op: 'deleteMany', coll: 'events', filter: { processed: true, at: { $lt: minute(i - n.events) } } }];
      case 'backfillClaim':
        return [
          { op: 'findOneAndUpdate', coll: 'backfill', filter: { state: 'queued' }, update: { $set: { state: 'running', startedAt: minute(i) } }, sort: { priority: -1, queuedAt: 1 }, returnNew: true },
          { op: 'updateMany', coll: 'backfill', filter: { state: 'running', startedAt: { $lte: minute(i - 1) } }, update: { $set: { state: 'done' } } },
        ];
      case 'countEvents':
        return [{ op: 'countDocuments', coll: 'events', filter: { processed: false } }];
    }
  });
}

export const gcsp = Object.freeze<Scenario>({
  name: 'gcsp',
  app: 'gcsp',
  summary: 'stream processor: reads with readPreference secondary (secondaryPreferred against a one-member target), $lookup + $group aggregations, change-heavy rates and events, a backfill queue',
  db: 'gcsp',
  client: { connect: 'replica-set', readPreference: 'secondary', maxPoolSize: 4 },
  dataset,
  operations,
  notes: ['FerretDB 1.24 does not implement the $lookup stage: the join aggregation fails there (the capture keeps the error).'],
});
