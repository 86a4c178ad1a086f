import { MongoClient } from 'mongodb';
import { DEMO_DB, orders } from '../../scenarios/demo/dataset.ts';
import { STORE_DB } from './store-dataset.ts';

/**
 * The known changes an A/B run makes on its candidate after seeding, each alone:
 * - `document`: one order stored with another amount;
 * - `slowdown`: the price lookup's replies held back by a relay (relay.ts; nothing here);
 * - `failure`: a unique index on `audit.ref`, so the store's audit insert fails with a
 *   duplicate key error (a schema migration applied to one side only).
 */
export const AB_KINDS = Object.freeze(['document', 'slowdown', 'failure'] as const);
export type AbKind = (typeof AB_KINDS)[number];

/**
 * Pre-flight compares a count and the first 200 documents by `_id` per collection where
 * the server has no `dbHash` (harness/replay/preflight.ts, SAMPLE; FerretDB has none).
 * The changed order lies beyond them, so the targets start alike as far as pre-flight
 * can tell, as clones do when a version, not the data, changes a result: the change
 * must then show as a result difference, not as "data differs before replay".
 */
const PREFLIGHT_SAMPLE = 200;

/** An order of companies 0–7, which both of the demo's export cursors read in full. */
export const CHANGED_ORDER = ((): { readonly _id: string; readonly amount: number } => {
  const all = orders();
  const unsampled = new Set(
    all
      .map((o) => String(o._id))
      .sort()
      .slice(PREFLIGHT_SAMPLE),
  );
  const o = all.find((d) => (d.company as number) < 8 && unsampled.has(String(d._id)));
  if (!o) throw new Error('no demo order of companies 0-7 lies beyond the pre-flight sample');
  return Object.freeze({ _id: String(o._id), amount: (o.amount as number) + 100 });
})();

export async function applyInjection(kind: AbKind, uri: string): Promise<void> {
  if (kind === 'slowdown') return;
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
  try {
    if (kind === 'document') {
      const r = await client.db(DEMO_DB).collection<{ _id: string }>('orders').updateOne({ _id: CHANGED_ORDER._id }, { $set: { amount: CHANGED_ORDER.amount } });
      if (r.modifiedCount !== 1) throw new Error(`changing order ${CHANGED_ORDER._id} modified ${r.modifiedCount} documents`);
    } else {
      await client.db(STORE_DB).collection('audit').createIndex({ ref: 1 }, { unique: true, name: 'ref_1_unique' });
    }
  } finally {
    await client.close();
  }
}
