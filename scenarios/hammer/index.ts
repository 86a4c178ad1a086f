import type { Document } from 'mongodb';
import { Gen, day, scaled, take } from '../lib/gen.ts';
import type { Dataset, Scenario, ScenarioOp } from '../lib/model.ts';

/**
 * Hammer, the forecasting CLI (Java driver 5.6): connects by host list and
 * `replicaSet`, reads large slices of the forecasts and runs large forecast
 * aggregations with `allowDiskUse`.
 */
const BASE = Object.freeze({ hotels: 30, weeks: 26, segments: 3 });
const SEGMENTS = ['leisure', 'business', 'group'] as const;

function sizes(scale: number) {
  return { hotels: scaled(BASE.hotels, scale), weeks: BASE.weeks, segments: BASE.segments };
}

function dataset(seed: number, scale: number): Dataset {
  const n = sizes(scale);
  const g = new Gen(seed, 1);
  const forecasts: Document[] = [];
  for (let h = 0; h < n.hotels; h++) {
    for (let w = 0; w < n.weeks; w++) {
      for (let s = 0; s < n.segments; s++) {
        forecasts.push({ _id: `${h}:${w}:${s}`, hotelId: h, week: w, segment: SEGMENTS[s], start: day(w * 7), demand: g.between(0, 500), pickup: Array.from({ length: 7 }, () => g.between(0, 40)), model: g.of(['arima', 'gbm']) });
      }
    }
  }
  const hotels = Array.from({ length: n.hotels }, (_, i) => ({ _id: i, market: g.of(['EMEA', 'AMER', 'APAC']), capacity: g.between(50, 500) }));
  return {
    collections: [
      { name: 'forecasts', docs: forecasts, indexes: [{ key: { hotelId: 1, week: 1 }, name: 'hotelId_1_week_1' }] },
      { name: 'hotels', docs: hotels },
    ],
  };
}

type Step = 'bigAgg' | 'segmentAgg' | 'unwindAgg' | 'bigRead' | 'distinct' | 'writeBack';
const MIX: readonly (readonly [Step, number])[] = [['bigAgg', 3], ['segmentAgg', 2], ['unwindAgg', 2], ['bigRead', 3], ['distinct', 1], ['writeBack', 1]];

function operations(seed: number, scale: number, count: number): ScenarioOp[] {
  const n = sizes(scale);
  const g = new Gen(seed, 100);
  return take<ScenarioOp>(count, (i) => {
    switch (g.weighted(MIX)) {
      case 'bigAgg': {
        const lo = g.int(n.hotels);
        return [{ op: 'aggregate', coll: 'forecasts', allowDiskUse: true, batchSize: 200, pipeline: [{ $match: { hotelId: { $gte: lo, $lt: lo + 10 } } }, { $group: { _id: { hotelId: '$hotelId', week: '$week' }, demand: { $sum: '$demand' }, models: { $addToSet: '$model' } } }, { $sort: { '_id.hotelId': 1, '_id.week': 1 } }] }];
      }
      case 'segmentAgg':
        return [{ op: 'aggregate', coll: 'forecasts', allowDiskUse: true, pipeline: [{ $match: { segment: g.of(SEGMENTS), week: { $lt: 1 + g.int(n.weeks) } } }, { $group: { _id: '$hotelId', total: { $sum: '$demand' }, peak: { $max: '$demand' } } }, { $sort: { total: -1, _id: 1 } }, { $limit: 20 }] }];
      case 'unwindAgg':
        return [{ op: 'aggregate', coll: 'forecasts', allowDiskUse: true, pipeline: [{ $match: { hotelId: g.int(n.hotels) } }, { $unwind: '$pickup' }, { $group: { _id: '$week', pickup: { $sum: '$pickup' } } }, { $sort: { _id: 1 } }] }];
      case 'bigRead': {
        const h = g.int(n.hotels);
        // Every week and segment of three hotels, without the daily pickup curve: several batches.
        return [{ op: 'find', coll: 'forecasts', filter: { hotelId: { $in: [h, (h + 1) % n.hotels, (h + 2) % n.hotels] } }, projection: { pickup: 0 }, sort: { hotelId: 1, week: 1, segment: 1 }, batchSize: 101 }];
      }
      case 'distinct':
        return [{ op: 'distinct', coll: 'forecasts', key: 'model', filter: { week: g.int(n.weeks) } }];
      case 'writeBack':
        return [{ op: 'updateMany', coll: 'forecasts', filter: { hotelId: g.int(n.hotels), week: g.int(n.weeks) }, update: { $set: { demand: g.between(0, 500), run: i } } }];
    }
  });
}

export const hammer = Object.freeze<Scenario>({
  name: 'hammer',
  app: 'hammer',
  summary: 'forecasting CLI: host list + replicaSet connection, large forecast aggregations with allowDiskUse, large sorted reads over several batches',
  db: 'hammer',
  client: { connect: 'replica-set', maxPoolSize: 2 },
  dataset,
  operations,
});
