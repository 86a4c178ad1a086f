import { createHash } from 'node:crypto';
import { BSON, type Db } from 'mongodb';
import type { StateDifference } from './types.ts';
import { compareState, type CollectionState } from './state.ts';

/**
 * The I/O half of the state comparison: reads what compareState needs from two
 * databases with the driver. `dbHash` first (MongoDB has it; FerretDB 1.x answers
 * CommandNotFound); where it is missing on either side, or the hashes differ, each
 * document is hashed (sha256 of its raw BSON bytes, so field order and numeric types
 * count) and keyed by its `_id`. Differing collections get sample documents of both
 * sides as evidence.
 */
export async function compareDatabases(
  candidate: string,
  baselineDb: Db,
  candidateDb: Db,
  options: { collections?: readonly string[]; sampleLimit?: number } = {},
): Promise<StateDifference[]> {
  const names = options.collections ?? [...new Set([...(await collectionNames(baselineDb)), ...(await collectionNames(candidateDb))])].sort();
  const [hb, hc] = await Promise.all([dbHashes(baselineDb, names), dbHashes(candidateDb, names)]);
  const needDocs = names.filter((n) => hb?.[n] === undefined || hc?.[n] === undefined || hb[n] !== hc[n]);
  // Both sides are keyed by the baseline's namespace: the candidate's database may be
  // named differently (a second database on one server, a renamed clone).
  const prefix = baselineDb.databaseName;
  const [sb, sc] = await Promise.all([collectionStates(baselineDb, prefix, names, needDocs, hb), collectionStates(candidateDb, prefix, names, needDocs, hc)]);
  const diffs = compareState(candidate, sb, sc, options.sampleLimit ?? 10);
  return Promise.all(diffs.map((d) => withSamples(d, baselineDb, candidateDb)));
}

async function collectionNames(db: Db): Promise<string[]> {
  const list = await db.listCollections({}, { nameOnly: true }).toArray();
  return list.map((c) => c.name).filter((n) => !n.startsWith('system.'));
}

async function dbHashes(db: Db, names: readonly string[]): Promise<Record<string, string> | undefined> {
  try {
    const reply = await db.command({ dbHash: 1, collections: [...names] });
    return (reply.collections ?? undefined) as Record<string, string> | undefined;
  } catch {
    return undefined; // not supported here: per-document hashes instead
  }
}

async function collectionStates(
  db: Db,
  prefix: string,
  names: readonly string[],
  needDocs: readonly string[],
  hashes: Record<string, string> | undefined,
): Promise<CollectionState[]> {
  const out: CollectionState[] = [];
  for (const name of names) {
    const ns = `${prefix}.${name}`;
    const dbHash = hashes?.[name];
    if (!needDocs.includes(name)) {
      out.push({ ns, dbHash });
      continue;
    }
    const docs = new Map<string, string>();
    const cursor = db.collection(name).find({}, { raw: true, batchSize: 1000 });
    for await (const raw of cursor) {
      const bytes = raw as unknown as Uint8Array;
      const doc = BSON.deserialize(bytes, { promoteValues: false });
      docs.set(BSON.EJSON.stringify({ _id: doc._id }, { relaxed: false }).slice(7, -1), createHash('sha256').update(bytes).digest('hex'));
    }
    out.push({ ns, dbHash, count: docs.size, docs });
  }
  return out;
}

async function withSamples(d: StateDifference, baselineDb: Db, candidateDb: Db): Promise<StateDifference> {
  if (d.changed.length === 0) return d;
  const coll = d.ns.slice(d.ns.indexOf('.') + 1);
  const samples = [];
  for (const id of d.changed.slice(0, 3)) {
    const filter = { _id: BSON.EJSON.parse(id, { relaxed: false }) };
    const [b, c] = await Promise.all([
      baselineDb.collection(coll).findOne(filter, { promoteValues: false }),
      candidateDb.collection(coll).findOne(filter, { promoteValues: false }),
    ]);
    samples.push({
      id,
      baseline: b ? BSON.EJSON.stringify(b, { relaxed: false }) : undefined,
      candidate: c ? BSON.EJSON.stringify(c, { relaxed: false }) : undefined,
    });
  }
  return { ...d, samples };
}
