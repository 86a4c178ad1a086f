import type { Db, Document } from 'mongodb';

/**
 * The data the pymongo store service (pymongo-workload.py) reads and writes: products,
 * prices, stock and an audit trail. Fixed values, so every server holds the same
 * documents; seeded straight into each server (never through the proxy), as the demo's
 * shop is.
 */
export const STORE_DB = 'store';
export const STORE_APP = 'py-store';

const CATEGORIES = ['tools', 'garden', 'kitchen', 'toys', 'books'] as const;

export function products(): Document[] {
  return Array.from({ length: 60 }, (_, i) => ({
    _id: i,
    name: `Product ${i}`,
    category: CATEGORIES[i % CATEGORIES.length],
    price: ((i * 37) % 100) + 0.99,
    tags: [`t${i % 4}`, i % 3 === 0 ? 'sale' : 'regular'],
    active: i % 4 !== 0,
  }));
}

export function prices(): Document[] {
  return Array.from({ length: 100 }, (_, i) => ({ _id: `p-${i}`, sku: `sku-${i}`, price: ((i * 53) % 400) / 4 + 0.5, currency: 'EUR' }));
}

export function stock(): Document[] {
  return Array.from({ length: 20 }, (_, i) => ({ _id: `s-${i}`, sku: `sku-${i}`, qty: 5 + ((i * 11) % 30), warehouse: i % 2 ? 'north' : 'south' }));
}

export function audit(): Document[] {
  return Array.from({ length: 10 }, (_, i) => ({ _id: i, ref: `order-${i}`, event: 'created', by: 'checkout' }));
}

/** Drops and seeds the store database. */
export async function seedStore(db: Db): Promise<void> {
  await db.dropDatabase();
  await db.collection('products').insertMany(products());
  await db.collection('prices').insertMany(prices());
  await db.collection('stock').insertMany(stock());
  await db.collection('audit').insertMany(audit());
  await db.collection('products').createIndex({ category: 1 }, { name: 'category_1' });
  await db.collection('prices').createIndex({ sku: 1 }, { name: 'sku_1' });
}
