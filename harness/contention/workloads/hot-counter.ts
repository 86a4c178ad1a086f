import type { Db } from 'mongodb';
import { checkCounters, invariantReport } from '../invariants.ts';
import { pick, seededRng, workerSeed } from '../rng.ts';
import type { WorkerSession } from '../transport.ts';
import type { OpRecorder, Workload, WorkloadOptions, WorkloadRun } from './types.ts';

/**
 * findAndModify `$inc` on K hot documents (the FSM workload findAndModify_update_queue
 * shape): every write lands on one of a few documents, the purest write-conflict source.
 * Invariant: the counters sum to the increments the server acknowledged (no lost update).
 */
interface CounterDoc {
  _id: string;
  n: number;
}

const COLLECTION = 'bench_counters';

export const hotCounterWorkload: Workload = {
  name: 'hot-counter',
  describe: 'hot counters: findAndModify {$inc:{n:1}} on K documents chosen by a seeded stream',
  async prepare(db: Db, options: WorkloadOptions): Promise<WorkloadRun> {
    const col = db.collection<CounterDoc>(COLLECTION);
    await col.drop().catch(() => undefined);
    const ids = Array.from({ length: options.keys }, (_, i) => `c${i}`);
    await col.insertMany(ids.map((_id) => ({ _id, n: 0 })));
    let acknowledged = 0;
    return {
      worker(id: number, session: WorkerSession) {
        const inc = Object.freeze({ $inc: { n: 1 } });
        const rng = seededRng(workerSeed(options.seed, id));
        return {
          async step(rec: OpRecorder) {
            const _id = ids[pick(rng, ids.length)]!;
            const t = rec.now();
            try {
              if (options.broken) {
                // Read-modify-write without atomicity: loses increments under contention.
                const cur = await session.findOne(COLLECTION, { _id });
                await session.updateOne(COLLECTION, { _id }, { $set: { n: Number(cur?.n ?? 0) + 1 } });
              } else {
                await session.findAndModify(COLLECTION, { query: { _id }, update: inc });
              }
              acknowledged++;
              rec.ok(t);
            } catch (err) {
              rec.fail(t, err);
            }
          },
        };
      },
      async verify(vdb: Db) {
        const docs = await vdb.collection<CounterDoc>(COLLECTION).find({}).toArray();
        const stored = docs.reduce((sum, d) => sum + Number(d.n), 0);
        return invariantReport(['counters sum to the acknowledged increments'], checkCounters(acknowledged, stored));
      },
      extra: () => ({ acknowledged }),
    };
  },
};
