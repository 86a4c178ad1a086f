import { Gen, day, scaled, take } from '../lib/gen.ts';
import type { Dataset, Scenario, ScenarioOp } from '../lib/model.ts';

/**
 * DBUpgrader (Java driver 5.6): schema migrations through runCommand, one migration
 * after another: listIndexes, createIndexes, collMod (a validator), updateMany with an
 * update pipeline and with update operators, a staging collection filled and renamed
 * into place (renameCollection on admin), the previous migration's index dropped.
 */
const BASE = Object.freeze({ settings: 120 });

function dataset(seed: number, scale: number): Dataset {
  const g = new Gen(seed, 1);
  const settings = Array.from({ length: scaled(BASE.settings, scale) }, (_, i) => ({ _id: i, company: g.int(40), key: `setting.${g.of(['currency', 'tz', 'rounding', 'horizon'])}`, value: g.between(0, 100), schemaVersion: 1, updated: day(-g.int(100)) }));
  return { collections: [{ name: 'settings', docs: settings }, { name: 'migrations', docs: [{ _id: 'schema', version: 1 }] }] };
}

/** The steps of migration `m`, in order: a migration is always whole. */
function migration(db: string, m: number, seed: number, g: Gen): ScenarioOp[] {
  const field = `attr${m % 7}`;
  const staging = `staging_${seed}_${m}`;
  return [
    { op: 'runCommand', command: { listIndexes: 'settings' } },
    { op: 'runCommand', command: { createIndexes: 'settings', indexes: [{ key: { [field]: 1, company: 1 }, name: `m${m}_${field}_1_company_1` }] } },
    { op: 'runCommand', command: { collMod: 'settings', validator: { $jsonSchema: { bsonType: 'object', required: ['company', 'key'] } }, validationLevel: 'moderate' } },
    { op: 'updateMany', coll: 'settings', filter: { schemaVersion: { $lt: m + 2 } }, update: [{ $set: { [field]: { $concat: ['$key', '-', 'v'] }, schemaVersion: m + 2 } }] },
    { op: 'updateMany', coll: 'settings', filter: { company: g.int(40) }, update: { $set: { schemaVersion: m + 2, [`flags.${field}`]: true }, $inc: { value: 1 } } },
    { op: 'insertMany', coll: staging, docs: Array.from({ length: 3 }, (_, k) => ({ _id: k, migration: m, step: k })) },
    { op: 'runCommand', admin: true, command: { renameCollection: `${db}.${staging}`, to: `${db}.archive_${seed}_${m}` } },
    { op: 'runCommand', command: { listCollections: 1, filter: { name: `archive_${seed}_${m}` }, nameOnly: true } },
    { op: 'runCommand', command: { dropIndexes: 'settings', index: `m${m}_${field}_1_company_1` } },
    { op: 'updateOne', coll: 'migrations', filter: { _id: 'schema' }, update: { $set: { version: m + 2 } }, upsert: true },
  ];
}

function operations(seed: number, _scale: number, count: number): ScenarioOp[] {
  const g = new Gen(seed, 100);
  return take<ScenarioOp>(count, (m) => migration(DB, m, seed, g));
}

const DB = 'upgrader';

export const dbupgrader = Object.freeze<Scenario>({
  name: 'dbupgrader',
  app: 'dbupgrader',
  summary: 'schema migrations via runCommand: listIndexes, createIndexes, collMod, updateMany with a pipeline and with operators, renameCollection, listCollections, dropIndexes',
  db: DB,
  client: { connect: 'replica-set', maxPoolSize: 1 },
  dataset,
  operations,
  notes: ['FerretDB 1.24 does not implement collMod, and refuses updates given as a pipeline ("u" must be an object): both fail there (the capture keeps the errors).'],
});
