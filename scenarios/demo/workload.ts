import type { Db } from 'mongodb';
import { pick, seededRng, type Rng } from '../../harness/contention/rng.ts';
import { SIZES } from './dataset.ts';

/**
 * The demo's built-in workload, resembling the platform's traffic (see BRIEF.md's
 * consumers): the monolith's optimize-job queue claimed with findAndModify and a sort,
 * lock documents taken and released, reads with projections and sorts (one of them a
 * multi-batch cursor like data-export's), aggregations, bulk-style upserts like
 * 24 Hour Sync, and an index build like DBUpgrader. Seeded: the same operations in
 * the same order on every run. Lanes run concurrently, each on its own connection
 * use, like application threads.
 */
export const WORKLOAD_COUNTS = Object.freeze({ claims: 30, ordersByCompany: 30, companyReads: SIZES.companies, aggregations: 8, upserts: 20, lockCycles: 8, exports: 2 });

export interface WorkloadProgress {
  (done: number, total: number): void;
}

export function workloadTotal(): number {
  const c = WORKLOAD_COUNTS;
  return c.claims + c.ordersByCompany + c.companyReads + c.aggregations + c.upserts + c.lockCycles * 2 + c.exports + 1;
}

export async function runWorkload(db: Db, seed: number, onOp: () => void = () => undefined): Promise<void> {
  const rng = seededRng(seed);
  const seeds = Array.from({ length: 4 }, () => pick(rng, 2 ** 31));
  await Promise.all([jobLane(db, seededRng(seeds[0]!), onOp), readLane(db, seededRng(seeds[1]!), onOp), writeLane(db, seededRng(seeds[2]!), onOp), companyLane(db, onOp)]);
}

/** The optimize-job queue and the lock documents (the monolith). */
async function jobLane(db: Db, rng: Rng, onOp: () => void): Promise<void> {
  const jobs = db.collection('jobs');
  for (let i = 0; i < WORKLOAD_COUNTS.claims; i++) {
    await jobs.findOneAndUpdate({ status: 'pending', kind: 'optimize' }, { $set: { status: 'running', worker: `w${i % 4}` } }, { sort: { priority: -1, _id: 1 }, returnDocument: 'after' });
    onOp();
  }
  const locks = db.collection<{ _id: string; holder: string | null; since: Date | null }>('locks');
  for (let i = 0; i < WORKLOAD_COUNTS.lockCycles; i++) {
    const id = `lock-${pick(rng, SIZES.locks)}`;
    await locks.findOneAndUpdate({ _id: id, holder: null }, { $set: { holder: `host-${i}`, since: new Date(Date.UTC(2026, 0, 2, 0, i)) } }, { returnDocument: 'after' });
    onOp();
    await locks.updateOne({ _id: id, holder: `host-${i}` }, { $set: { holder: null, since: null } });
    onOp();
  }
}

/** Reads with projections and sorts, aggregations, a long export cursor (GCSP, Hammer, data-export). */
async function readLane(db: Db, rng: Rng, onOp: () => void): Promise<void> {
  const orders = db.collection('orders');
  for (let i = 0; i < WORKLOAD_COUNTS.ordersByCompany; i++) {
    // The shape that loses its index on the candidate.
    await orders.find({ company: pick(rng, SIZES.companies) }, { projection: { _id: 1, placedAt: 1, amount: 1, status: 1 } }).sort({ placedAt: -1 }).limit(10).toArray();
    onOp();
  }
  for (let i = 0; i < WORKLOAD_COUNTS.aggregations; i++) {
    const c = pick(rng, SIZES.companies);
    await orders.aggregate([{ $match: { company: c } }, { $group: { _id: '$status', total: { $sum: '$amount' }, n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray();
    onOp();
  }
  for (let i = 0; i < WORKLOAD_COUNTS.exports; i++) {
    // Small batches: one find and several getMores, like data-export's long cursors.
    await orders.find({ company: { $lt: 8 + i } }, { projection: { lines: 0 } }).sort({ _id: 1 }).batchSize(25).toArray();
    onOp();
  }
}

/** Periodic upserts of forecasts and an index build (24 Hour Sync, DBUpgrader). */
async function writeLane(db: Db, rng: Rng, onOp: () => void): Promise<void> {
  const forecasts = db.collection<{ _id: string; company: number; week: number; value?: number; source?: string }>('forecasts');
  await forecasts.createIndex({ company: 1, week: 1 }, { name: 'company_1_week_1' });
  onOp();
  for (let i = 0; i < WORKLOAD_COUNTS.upserts; i++) {
    const company = pick(rng, SIZES.companies);
    const week = 1 + pick(rng, SIZES.forecastWeeks + 2);
    await forecasts.updateOne({ company, week }, { $set: { value: pick(rng, 1000), source: 'sync' }, $setOnInsert: { _id: `f-${company}-${week}` } }, { upsert: true });
    onOp();
  }
}

/** Every company's profile by _id (the candidate holds one of them differently). */
async function companyLane(db: Db, onOp: () => void): Promise<void> {
  const companies = db.collection<{ _id: number }>('companies');
  for (let i = 0; i < WORKLOAD_COUNTS.companyReads; i++) {
    await companies.find({ _id: i }, { projection: { name: 1, tier: 1, region: 1 } }).toArray();
    onOp();
  }
}
