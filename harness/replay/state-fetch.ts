import { createHash } from 'node:crypto';
import { BSON, type Db } from 'mongodb';
import type { CollectionSummary, RunState, StateDifference } from '../model/run/state.ts';
import { collectionDifference, StateJoin } from './state-join.ts';

/**
 * The I/O half of the state comparison, run by the replayer after its last operation:
 * every collection the replay wrote to is read back from every target, sorted by
 * `_id`, all targets in lockstep (so memory holds the pending keys of a join, not the
 * collections). Per target and collection: count, an order-independent hash of the
 * documents' BSON bytes, the index specs. Per candidate: the `_id`s missing, extra or
 * stored differently against the baseline, and sample documents of both sides.
 */
export interface StateSide {
  readonly name: string;
  /** The database the replay used on this side for the baseline's database name. */
  db(name: string): Db;
}

export interface FetchStateOptions {
  /** `_id`s named per kind and collection. */
  readonly idLimit?: number;
  /** Sample documents of both sides per differing collection. */
  readonly samples?: number;
  /** Keys pending in one join before it gives up naming documents (see StateJoin). */
  readonly maxPending?: number;
  readonly signal?: AbortSignal;
}

const BATCH = 1000;

export async function fetchState(
  baseline: StateSide,
  candidates: readonly StateSide[],
  namespaces: ReadonlyMap<string, ReadonlySet<string>>,
  options: FetchStateOptions = {},
): Promise<RunState> {
  const sides = [baseline, ...candidates];
  const targets: Record<string, CollectionSummary[]> = Object.fromEntries(sides.map((s) => [s.name, []]));
  const differences: StateDifference[] = [];
  const notes: string[] = [];
  for (const [dbName, colls] of [...namespaces].sort(([a], [b]) => a.localeCompare(b))) {
    for (const coll of [...colls].sort()) {
      if (options.signal?.aborted) {
        notes.push('state after writes: interrupted before every collection was read');
        return { baseline: baseline.name, targets, differences, notes };
      }
      const ns = `${dbName}.${coll}`;
      const joins = candidates.map(() => new StateJoin(options.idLimit ?? 10, options.maxPending ?? 1_000_000));
      const summaries = await Promise.all(sides.map((s) => summaryOf(s.db(dbName), coll, ns)));
      await readInLockstep(
        sides.map((s) => s.db(dbName)),
        coll,
        (side, id, hash) => {
          if (side === 0) for (const j of joins) j.baseline(id, hash);
          else joins[side - 1]!.candidate(id, hash);
        },
        summaries,
      );
      sides.forEach((s, i) => {
        const summary = finishSummary(summaries[i]!);
        targets[s.name]!.push(summary);
        if (summary.incomplete) notes.push(`state after writes: ${ns} on ${s.name} not read in full (${summary.incomplete})`);
      });
      for (let i = 0; i < candidates.length; i++) {
        const join = joins[i]!;
        const base = finishSummary(summaries[0]!);
        const cand = finishSummary(summaries[i + 1]!);
        if (join.overflow) notes.push(`state after writes: ${ns} too large to join by _id on ${candidates[i]!.name}; judged by count and hash`);
        const diff = collectionDifference(candidates[i]!.name, ns, base, cand, join.overflow ? undefined : join.finish());
        if (diff) differences.push(await withSamples(diff, baseline.db(dbName), candidates[i]!.db(dbName), coll, options.samples ?? 3));
      }
    }
  }
  return { baseline: baseline.name, targets, differences, notes };
}

interface Accumulating {
  ns: string;
  count: number;
  hash: Buffer;
  indexes: string[];
  incomplete?: string;
}

async function summaryOf(db: Db, coll: string, ns: string): Promise<Accumulating> {
  const acc: Accumulating = { ns, count: 0, hash: Buffer.alloc(32), indexes: [] };
  try {
    const specs = await db.collection(coll).listIndexes().toArray();
    acc.indexes = specs.map(indexText).sort();
  } catch (err) {
    // NamespaceNotFound: the collection does not exist on this side (no indexes, no documents).
    if ((err as { code?: number }).code !== 26) acc.incomplete = `listIndexes: ${firstLine(err)}`;
  }
  return acc;
}

function finishSummary(a: Accumulating): CollectionSummary {
  return { ns: a.ns, count: a.count, hash: a.hash.toString('hex'), indexes: a.indexes, ...(a.incomplete ? { incomplete: a.incomplete } : {}) };
}

/**
 * Reads the collection on every side, a batch from each in turn, so matching `_id`s
 * reach the joins close together. Raw BSON: the hash is over the stored bytes.
 */
async function readInLockstep(
  dbs: readonly Db[],
  coll: string,
  onDoc: (side: number, id: string, hash: string) => void,
  acc: readonly Accumulating[],
): Promise<void> {
  const cursors = dbs.map((db) => db.collection(coll).find({}, { sort: { _id: 1 }, raw: true, batchSize: BATCH }));
  const open = cursors.map(() => true);
  try {
    while (open.some(Boolean)) {
      for (let side = 0; side < cursors.length; side++) {
        if (!open[side]) continue;
        const cursor = cursors[side]!;
        try {
          for (let n = 0; n < BATCH; n++) {
            const raw = (await cursor.next()) as unknown as Uint8Array | null;
            if (raw === null) {
              open[side] = false;
              break;
            }
            const digest = createHash('sha256').update(raw).digest();
            const a = acc[side]!;
            a.count++;
            for (let i = 0; i < 32; i++) a.hash[i]! ^= digest[i]!;
            onDoc(side, idKey(raw), digest.toString('hex'));
          }
        } catch (err) {
          open[side] = false;
          acc[side]!.incomplete ??= `find: ${firstLine(err)}`;
        }
      }
    }
  } finally {
    await Promise.all(cursors.map((c) => c.close().catch(() => undefined)));
  }
}

/** Canonical Extended JSON of the document's `_id`: how ids are named everywhere in a run. */
function idKey(raw: Uint8Array): string {
  const doc = BSON.deserialize(raw, { promoteValues: false, bsonRegExp: true });
  return BSON.EJSON.stringify(doc._id, { relaxed: false });
}

/** Key pattern and the options that change behaviour; the name and `v` say nothing of it. */
function indexText(spec: BSON.Document): string {
  const { v: _v, ns: _ns, name: _name, ...rest } = spec;
  return BSON.EJSON.stringify(rest, { relaxed: true });
}

async function withSamples(d: StateDifference, baseDb: Db, candDb: Db, coll: string, limit: number): Promise<StateDifference> {
  if (d.changed.length === 0 || limit === 0) return d;
  const samples = [];
  for (const id of d.changed.slice(0, limit)) {
    const filter = { _id: BSON.EJSON.parse(id, { relaxed: false }) };
    const [b, c] = await Promise.all([
      baseDb.collection(coll).findOne(filter, { promoteValues: false }),
      candDb.collection(coll).findOne(filter, { promoteValues: false }),
    ]);
    samples.push({
      id,
      ...(b ? { baseline: BSON.EJSON.stringify(b, { relaxed: false }) } : {}),
      ...(c ? { candidate: BSON.EJSON.stringify(c, { relaxed: false }) } : {}),
    });
  }
  return { ...d, samples };
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}
