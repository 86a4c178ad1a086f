import type { Db, Document } from 'mongodb';
import { pick, seededRng } from '../../harness/contention/rng.ts';

/**
 * The demo's seeded dataset, shaped like the platform's company data (RS2–RS9) and
 * metadata (RS1): companies, their orders and weekly forecasts, the optimize-job
 * queue and distributed-lock documents. Same seed, same documents on every server.
 */
export const DEMO_DB = 'shop';
export const DEMO_SEED = 42;

export const SIZES = Object.freeze({ companies: 40, ordersPerCompany: 8, forecastWeeks: 4, jobs: 120, locks: 4 });

/** The index the candidate lacks, and the shape that uses it (orders of one company, newest first). */
export const MISSING_INDEX = Object.freeze({ collection: 'orders', name: 'company_1_placedAt_-1', key: { company: 1, placedAt: -1 } as const });

/** The document the candidate holds differently: company 7's tier. */
export const CHANGED_DOCUMENT = Object.freeze({ collection: 'companies', _id: 7, field: 'tier', baseline: 'gold', candidate: 'silver' });

/**
 * Orders of companies the workload never reads, stored only on the candidate. FerretDB
 * 1.24's SQLite backend pushes down only `_id` equality (backends/sqlite/collection.go),
 * so a secondary index never shortens a query there and a dropped index alone changes
 * nothing measurable. These documents make the candidate's `orders` scan as much
 * larger as a missing index makes it on MongoDB (a collection scan instead of an
 * index range), without changing any result the workload reads.
 */
export const ARCHIVED_ORDERS_ON_CANDIDATE = 1280;

const STATUSES = ['open', 'paid', 'shipped', 'cancelled'] as const;
const EPOCH = Date.UTC(2026, 0, 1);

export function companies(): Document[] {
  const rng = seededRng(DEMO_SEED);
  return Array.from({ length: SIZES.companies }, (_, i) => ({
    _id: i,
    name: `Company ${i}`,
    tier: i === CHANGED_DOCUMENT._id ? CHANGED_DOCUMENT.baseline : ['bronze', 'silver', 'gold'][pick(rng, 3)],
    region: ['eu', 'us', 'apac'][i % 3],
    createdAt: new Date(EPOCH - pick(rng, 1000) * 86_400_000),
  }));
}

export function orders(firstCompany = 0, companiesCount: number = SIZES.companies, perCompany: number = SIZES.ordersPerCompany, seed = DEMO_SEED + 1): Document[] {
  const rng = seededRng(seed);
  const out: Document[] = [];
  for (let c = firstCompany; c < firstCompany + companiesCount; c++) {
    for (let k = 0; k < perCompany; k++) {
      out.push({
        company: c,
        placedAt: new Date(EPOCH + pick(rng, 90 * 24) * 3_600_000),
        status: STATUSES[pick(rng, STATUSES.length)],
        amount: Math.round(rng() * 100_000) / 100,
        lines: Array.from({ length: 1 + pick(rng, 3) }, (_, j) => ({ sku: `sku-${pick(rng, 200)}`, qty: 1 + pick(rng, 5), pos: j })),
      });
    }
  }
  // Stable _ids so every server stores the same documents.
  return out.map((d, i) => ({ _id: `o-${firstCompany}-${i}`, ...d }));
}

export function forecasts(): Document[] {
  const rng = seededRng(DEMO_SEED + 2);
  const out: Document[] = [];
  for (let c = 0; c < SIZES.companies; c++) {
    for (let w = 1; w <= SIZES.forecastWeeks; w++) out.push({ _id: `f-${c}-${w}`, company: c, week: w, value: Math.round(rng() * 1000) });
  }
  return out;
}

export function jobs(): Document[] {
  const rng = seededRng(DEMO_SEED + 3);
  return Array.from({ length: SIZES.jobs }, (_, i) => ({ _id: i, kind: 'optimize', company: pick(rng, SIZES.companies), status: 'pending', priority: pick(rng, 10), enqueuedAt: new Date(EPOCH + i * 1000) }));
}

export function locks(): Document[] {
  return Array.from({ length: SIZES.locks }, (_, i) => ({ _id: `lock-${i}`, holder: null, since: null }));
}

/** Seeds one server's database; `candidate` applies the known differences. */
export async function seed(db: Db, options: { candidate: boolean }): Promise<void> {
  await db.dropDatabase();
  const company = companies();
  if (options.candidate) {
    const c = company.find((x) => x._id === CHANGED_DOCUMENT._id)!;
    c[CHANGED_DOCUMENT.field] = CHANGED_DOCUMENT.candidate;
  }
  await db.collection('companies').insertMany(company);
  const order = orders();
  if (options.candidate) order.push(...orders(1000, ARCHIVED_ORDERS_ON_CANDIDATE / 20, 20, DEMO_SEED + 9));
  for (let i = 0; i < order.length; i += 1000) await db.collection('orders').insertMany(order.slice(i, i + 1000));
  await db.collection('forecasts').insertMany(forecasts());
  await db.collection('jobs').insertMany(jobs());
  await db.collection('locks').insertMany(locks());
  await db.collection('jobs').createIndex({ status: 1, priority: -1 }, { name: 'status_1_priority_-1' });
  if (!options.candidate) await db.collection(MISSING_INDEX.collection).createIndex(MISSING_INDEX.key, { name: MISSING_INDEX.name });
}
