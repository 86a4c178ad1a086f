import { Gen, day, minute, scaled, take } from '../lib/gen.ts';
import type { Dataset, Scenario, ScenarioOp } from '../lib/model.ts';

/**
 * DRE (the Haskell community driver, OP_MSG, `mongodb+srv` with TLS): find,
 * updateMany with upsert, delete, createIndexes through runCommand; never
 * findAndModify. `dre-legacy` is the same mix with its finds sent as legacy OP_QUERY,
 * as drivers before OP_MSG send them.
 */
const BASE = Object.freeze({ demand: 400, hotels: 40 });

function sizes(scale: number) {
  return { demand: scaled(BASE.demand, scale), hotels: scaled(BASE.hotels, scale) };
}

function dataset(seed: number, scale: number): Dataset {
  const n = sizes(scale);
  const g = new Gen(seed, 1);
  const demand = Array.from({ length: n.demand }, (_, i) => ({ _id: i, hotelId: g.int(n.hotels), date: day(g.int(90)), signal: g.of(['search', 'view', 'book']), score: g.amount(1), model: 'v1' }));
  return { collections: [{ name: 'demand', docs: demand }, { name: 'recommendations', docs: [] }] };
}

function operations(legacy: boolean) {
  return (seed: number, scale: number, count: number): ScenarioOp[] => {
    const n = sizes(scale);
    const g = new Gen(seed, 100);
    return take<ScenarioOp>(count, (i) => {
      const kind = g.weighted([['find', 5], ['upsertMany', 3], ['delete', 1], ['index', 1]] as const);
      const hotelId = g.int(n.hotels);
      switch (kind) {
        case 'find': {
          const filter = { hotelId, date: { $gte: day(g.int(60)) } };
          const projection = { _id: 1, date: 1, signal: 1, score: 1 };
          const sort = { date: 1, _id: 1 };
          return [legacy ? { op: 'legacyFind', coll: 'demand', filter, projection, sort, limit: 50 } : { op: 'find', coll: 'demand', filter, projection, sort, limit: 50 }];
        }
        case 'upsertMany': {
          // The upserted _id is the natural key: a server-made ObjectId would differ on every server a capture replays on.
          const d = g.int(30);
          return [{ op: 'updateMany', coll: 'recommendations', filter: { hotelId, date: day(d) }, update: { $set: { price: g.amount(300), model: 'v1', at: minute(i) }, $setOnInsert: { _id: `${hotelId}:${d}` } }, upsert: true }];
        }
        case 'delete':
          return [{ op: 'deleteMany', coll: 'demand', filter: { hotelId, score: { $lt: g.amount(0.2) } } }];
        case 'index':
          return [{ op: 'runCommand', command: { createIndexes: 'recommendations', indexes: [{ key: { hotelId: 1, date: 1 }, name: 'hotelId_1_date_1' }] } }];
      }
    });
  };
}

const common = {
  client: { connect: 'tls', driverInfo: { name: 'mongoDB-haskell', version: '2.7.1.2' }, maxPoolSize: 1 },
  dataset,
} as const;

export const dre = Object.freeze<Scenario>({
  ...common,
  name: 'dre',
  app: 'dre',
  db: 'dre',
  summary: 'Haskell driver over TLS: find, updateMany with upsert, deleteMany, createIndexes through runCommand; no findAndModify',
  operations: operations(false),
  notes: ['The real app connects with mongodb+srv; local targets have no SRV record, so the scenario connects to the host directly over TLS (the proxy terminates it).'],
});

export const dreLegacy = Object.freeze<Scenario>({
  ...common,
  name: 'dre-legacy',
  app: 'dre',
  // Its own database, so both variants run side by side.
  db: 'dre_legacy',
  summary: 'dre with its finds sent as legacy OP_QUERY (as pre-OP_MSG drivers do); the rest over OP_MSG',
  operations: operations(true),
  notes: ['FerretDB 1.24 answers OP_QUERY only for the handshake commands: every legacy find fails there (the capture keeps the error reply).'],
});
