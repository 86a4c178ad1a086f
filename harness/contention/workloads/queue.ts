import type { Db, Document } from 'mongodb';
import { checkQueue, invariantReport, type Claim, type Violation } from '../invariants.ts';
import { pick, seededRng } from '../rng.ts';
import type { WorkerSession } from '../transport.ts';
import type { OpRecorder, Workload, WorkloadOptions, WorkloadRun } from './types.ts';

/**
 * The platform's optimize-job queue (research §2, SERVER-21434 / SERVER-74551 shape):
 * findAndModify `{status:'pending'}` sorted by priority then age, `$set` running, then
 * mark done. Without the index the server re-sorts on every write-conflict retry.
 */
interface JobDoc {
  _id: string;
  status: string;
  priority: number;
  createdAt: Date;
  companyId: number;
  worker?: number;
}

const COLLECTION = 'bench_jobs';
const SORT = Object.freeze({ priority: -1, createdAt: 1 }) as { priority: -1; createdAt: 1 };
const PENDING = Object.freeze({ status: 'pending' });
/** Jobs a worker inserts when it finds the queue empty (a stand-in for the producers). */
export const REFILL_BATCH = 100;
const BASE_TIME = Date.UTC(2026, 0, 1);

export function seedJobs(seed: number, count: number, prefix = 'j'): JobDoc[] {
  const rng = seededRng(seed);
  const jobs: JobDoc[] = [];
  for (let i = 0; i < count; i++) {
    jobs.push({
      _id: `${prefix}${String(i).padStart(7, '0')}`,
      status: 'pending',
      priority: pick(rng, 10),
      createdAt: new Date(BASE_TIME + i * 1000 + pick(rng, 1000)),
      companyId: pick(rng, 50),
    });
  }
  return jobs;
}

export const queueWorkload: Workload = {
  name: 'queue',
  describe: 'job queue: findAndModify {status:pending} sort {priority:-1, createdAt:1} → running, then done',
  async prepare(db: Db, options: WorkloadOptions): Promise<WorkloadRun> {
    const col = db.collection<JobDoc>(COLLECTION);
    await col.drop().catch(() => undefined);
    if (options.indexes) await col.createIndex({ status: 1, priority: -1, createdAt: 1 });
    const jobs = seedJobs(options.seed, options.jobs);
    for (let i = 0; i < jobs.length; i += 1000) await col.insertMany(jobs.slice(i, i + 1000), { ordered: false });
    const claims: Claim[] = [];
    const issues: Violation[] = [];
    let empty = 0;
    let refills = 0;
    return {
      worker(id: number, session: WorkerSession) {
        let refillSeq = 0;
        const claimAtomic = (rec: OpRecorder) => {
          const t = rec.now();
          return session
            .findAndModify(COLLECTION, { query: PENDING, update: { $set: { status: 'running', worker: id, claimedAt: new Date() } }, sort: SORT })
            .then((doc) => (rec.ok(t), doc), (err: unknown) => (rec.fail(t, err), undefined));
        };
        // The deliberately broken claim: read the head of the queue, then write without
        // re-checking status. Two workers can read the same head and both "claim" it.
        const claimBroken = async (rec: OpRecorder): Promise<Document | null | undefined> => {
          const t = rec.now();
          try {
            const head = await session.findOne(COLLECTION, PENDING, SORT);
            if (head) await session.updateOne(COLLECTION, { _id: head._id }, { $set: { status: 'running', worker: id, claimedAt: new Date() } });
            rec.ok(t);
            return head ? { ...head, worker: id } : null;
          } catch (err) {
            rec.fail(t, err);
            return undefined;
          }
        };
        const claim = options.broken ? claimBroken : claimAtomic;
        return {
          async step(rec: OpRecorder) {
            const doc = await claim(rec);
            if (doc === undefined) return;
            if (doc === null) {
              empty++;
              refills++;
              const batch = seedJobs(options.seed + id * 7919 + refillSeq, REFILL_BATCH, `r${id}-${refillSeq}-`);
              refillSeq++;
              await session.insertMany(COLLECTION, batch);
              rec.other();
              return;
            }
            const jobId = String(doc._id);
            claims.push({ jobId, worker: id });
            const matched = await session.updateOne(COLLECTION, { _id: jobId, status: 'running', worker: id }, { $set: { status: 'done', doneAt: new Date() } });
            rec.other();
            if (matched !== 1) issues.push({ kind: 'job-completion-lost', detail: `worker ${id} claimed job ${jobId} but could not mark it done: another worker owns it` });
          },
        };
      },
      async verify(vdb: Db) {
        const finals = await vdb
          .collection<JobDoc>(COLLECTION)
          .find({ status: { $ne: 'pending' } }, { projection: { status: 1, worker: 1 } })
          .toArray();
        const violations = checkQueue(
          claims,
          finals.map((d) => ({ jobId: d._id, status: d.status, worker: d.worker })),
          issues,
        );
        return invariantReport(['every job claimed exactly once', 'the server names the claiming worker', 'every claimed job marked done by its claimer'], violations);
      },
      extra: () => ({ claims: claims.length, emptyClaims: empty, refills }),
    };
  },
};
