import type { Document } from 'mongodb';
import { day, Gen, minute, scaled, take } from '../lib/gen.ts';
import type { Dataset, Scenario, ScenarioOp } from '../lib/model.ts';

/**
 * The Monolith (Java driver 5.6): the optimize-job queue claimed with findAndModify
 * sorted by priority then age and completed by its worker, distributed-lock documents
 * taken and released, CRUD on companies and hotels with projections and sorts, rate
 * aggregations and a sequence counter.
 */
const BASE = Object.freeze({ companies: 20, hotelsPerCompany: 5, jobs: 200, locks: 6, ratesPerHotel: 10 });
const JOB_TYPES = ['optimize', 'optimize', 'optimize', 'recalc', 'publish'] as const;
const WORKERS = 8;

function sizes(scale: number) {
  const companies = scaled(BASE.companies, scale);
  return { companies, hotels: companies * BASE.hotelsPerCompany, jobs: scaled(BASE.jobs, scale), locks: BASE.locks, ratesPerHotel: BASE.ratesPerHotel };
}

function dataset(seed: number, scale: number): Dataset {
  const n = sizes(scale);
  const g = new Gen(seed, 1);
  const companies = Array.from({ length: n.companies }, (_, i) => ({ _id: i, name: `Company ${i}`, tier: g.of(['bronze', 'silver', 'gold']), region: g.of(['eu', 'us', 'apac']), createdAt: day(-g.int(900)) }));
  const hotels = Array.from({ length: n.hotels }, (_, i) => ({ _id: `h-${i}`, company: Math.floor(i / BASE.hotelsPerCompany), name: `Hotel ${i}`, rooms: g.between(20, 400), stars: g.between(1, 5), city: g.of(['Paris', 'Austin', 'Berlin', 'Osaka', 'Lima']), active: g.chance(0.9) }));
  const jobs = Array.from({ length: n.jobs }, (_, i) => ({ _id: `job-${i}`, type: g.of(JOB_TYPES), company: g.int(n.companies), hotel: `h-${g.int(n.hotels)}`, status: 'pending', priority: g.int(10), createdAt: minute(-n.jobs + i), attempts: 0 }));
  const locks = Array.from({ length: n.locks }, (_, i) => ({ _id: `lock:${['optimizer', 'publisher', 'rates', 'reports', 'cleanup', 'billing'][i]}`, owner: null, expiresAt: null }));
  const rates: Document[] = [];
  for (let h = 0; h < n.hotels; h++) for (let d = 0; d < n.ratesPerHotel; d++) rates.push({ _id: `r-${h}-${d}`, hotel: `h-${h}`, date: day(d), price: g.amount(400), currency: 'EUR' });
  return {
    collections: [
      { name: 'companies', docs: companies },
      { name: 'hotels', docs: hotels, indexes: [{ key: { company: 1, name: 1 }, name: 'company_1_name_1' }] },
      { name: 'optimizeJobs', docs: jobs, indexes: [{ key: { status: 1, priority: -1, createdAt: 1 }, name: 'status_1_priority_-1_createdAt_1' }] },
      { name: 'locks', docs: locks },
      { name: 'rates', docs: rates, indexes: [{ key: { hotel: 1, date: 1 }, name: 'hotel_1_date_1', unique: true }] },
      { name: 'counters', docs: [{ _id: 'jobSeq', value: n.jobs }] },
    ],
  };
}

type Step = 'claim' | 'complete' | 'enqueue' | 'lock' | 'readHotels' | 'readCompany' | 'updateHotel' | 'count' | 'rateAgg' | 'counter';
const MIX: readonly (readonly [Step, number])[] = [
  ['claim', 6], ['complete', 5], ['enqueue', 2], ['lock', 3], ['readHotels', 5], ['readCompany', 4], ['updateHotel', 2], ['count', 1], ['rateAgg', 2], ['counter', 1],
];

function operations(seed: number, scale: number, count: number): ScenarioOp[] {
  const n = sizes(scale);
  const g = new Gen(seed, 100);
  return take<ScenarioOp>(count, (i) => {
    const worker = `worker-${g.int(WORKERS)}`;
    switch (g.weighted(MIX)) {
      case 'claim':
        return [{ op: 'findOneAndUpdate', coll: 'optimizeJobs', filter: { status: 'pending', type: 'optimize' }, update: { $set: { status: 'running', worker, startedAt: minute(i) }, $inc: { attempts: 1 } }, sort: { priority: -1, createdAt: 1 }, returnNew: true }];
      case 'complete':
        return [{ op: 'findOneAndUpdate', coll: 'optimizeJobs', filter: { status: 'running', worker }, update: { $set: { status: 'done', finishedAt: minute(i) }, $unset: { worker: '' } }, sort: { startedAt: 1 }, returnNew: false, projection: { _id: 1, hotel: 1, type: 1 } }];
      case 'enqueue':
        return [{ op: 'insertOne', coll: 'optimizeJobs', doc: { _id: `job-s${seed}-${i}`, type: g.of(JOB_TYPES), company: g.int(n.companies), hotel: `h-${g.int(n.hotels)}`, status: 'pending', priority: g.int(10), createdAt: minute(i), attempts: 0 } }];
      case 'lock': {
        const id = `lock:${g.of(['optimizer', 'publisher', 'rates', 'reports', 'cleanup', 'billing'])}`;
        const owner = `host-${g.int(16)}`;
        return [
          { op: 'findOneAndUpdate', coll: 'locks', filter: { _id: id, $or: [{ owner: null }, { expiresAt: { $lt: minute(i) } }] }, update: { $set: { owner, expiresAt: minute(i + 5) } }, returnNew: true },
          { op: 'updateOne', coll: 'locks', filter: { _id: id, owner }, update: { $set: { owner: null, expiresAt: null } } },
        ];
      }
      case 'readHotels':
        return [{ op: 'find', coll: 'hotels', filter: { company: g.int(n.companies), active: true }, projection: { name: 1, rooms: 1, stars: 1, city: 1 }, sort: { stars: -1, name: 1 }, limit: 20 }];
      case 'readCompany':
        return [{ op: 'find', coll: 'companies', filter: { _id: g.int(n.companies) }, projection: { name: 1, tier: 1, region: 1 }, limit: 1 }];
      case 'updateHotel':
        return [{ op: 'updateOne', coll: 'hotels', filter: { _id: `h-${g.int(n.hotels)}` }, update: { $set: { rooms: g.between(20, 400), updatedAt: minute(i) } } }];
      case 'count':
        return [{ op: 'countDocuments', coll: 'optimizeJobs', filter: { status: g.of(['pending', 'running', 'done']) } }];
      case 'rateAgg':
        return [{ op: 'aggregate', coll: 'rates', pipeline: [{ $match: { hotel: { $in: [`h-${g.int(n.hotels)}`, `h-${g.int(n.hotels)}`] } } }, { $group: { _id: '$hotel', avg: { $avg: '$price' }, max: { $max: '$price' }, n: { $sum: 1 } } }, { $sort: { _id: 1 } }] }];
      case 'counter':
        return [{ op: 'findOneAndUpdate', coll: 'counters', filter: { _id: 'jobSeq' }, update: { $inc: { value: 1 } }, upsert: true, returnNew: true }];
    }
  });
}

export const monolith = Object.freeze<Scenario>({
  name: 'monolith',
  app: 'monolith',
  summary: 'optimize-job queue (findAndModify sorted by priority and age: claim and complete), lock documents, CRUD with projections and sorts, rate aggregations, a sequence counter',
  db: 'monolith',
  client: { connect: 'replica-set', maxPoolSize: 4 },
  dataset,
  operations,
});
