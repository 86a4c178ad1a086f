import type { Db, Document } from 'mongodb';
import { checkLocks, invariantReport, type Hold, type Violation } from '../invariants.ts';
import { pick, seededRng, workerSeed } from '../rng.ts';
import { isDuplicateKey } from '../error-code.ts';
import type { WorkerSession } from '../transport.ts';
import type { OpRecorder, Workload, WorkloadOptions, WorkloadRun } from './types.ts';

/**
 * The platform's distributed lock: acquire with findAndModify + upsert on a lock
 * document that is free or expired; a held lock makes the upsert collide on _id
 * (DuplicateKey, counted as a busy lock); the holder releases by its token.
 * Invariant: at most one holder per lock at any instant, from spans the workers record.
 */
interface LockDoc {
  _id: string;
  holder: number | null;
  token: string | null;
  expiresAt: Date | null;
}

const COLLECTION = 'bench_locks';
/** Longer than any hold, so expiry never hands a held lock over during a step. */
export const LOCK_TTL_MS = 60_000;

export const lockWorkload: Workload = {
  name: 'lock',
  describe: 'distributed lock: findAndModify + upsert on free-or-expired lock documents, release by token',
  async prepare(db: Db, options: WorkloadOptions): Promise<WorkloadRun> {
    await db.collection(COLLECTION).drop().catch(() => undefined);
    const ids = Array.from({ length: options.keys }, (_, i) => `lock${i}`);
    const holds: Hold[] = [];
    const issues: Violation[] = [];
    let acquired = 0;
    let busy = 0;
    return {
      worker(id: number, session: WorkerSession) {
        const rng = seededRng(workerSeed(options.seed, id));
        let seq = 0;
        const acquire = async (_id: string, token: string): Promise<Document | null> => {
          const now = new Date();
          const set = { holder: id, token, expiresAt: new Date(now.getTime() + LOCK_TTL_MS) };
          if (options.broken) {
            // Check, then write without the free-or-expired filter: two workers can both win.
            const cur = (await session.findOne(COLLECTION, { _id })) as LockDoc | null;
            if (cur && cur.holder !== null && cur.expiresAt !== null && cur.expiresAt > now) return null;
            await session.updateOne(COLLECTION, { _id }, { $set: set }, true);
            return { _id, ...set };
          }
          return session.findAndModify(COLLECTION, {
            query: { _id, $or: [{ holder: null }, { expiresAt: { $lt: now } }] },
            update: { $set: set },
            upsert: true,
          });
        };
        return {
          async step(rec: OpRecorder) {
            const _id = ids[pick(rng, ids.length)]!;
            const token = `${id}:${seq++}`;
            const t = rec.now();
            let doc: Document | null;
            try {
              doc = await acquire(_id, token);
              rec.ok(t);
            } catch (err) {
              rec.fail(t, err);
              if (isDuplicateKey(err)) busy++;
              return;
            }
            if (!doc || doc.token !== token) {
              busy++;
              return;
            }
            acquired++;
            const from = rec.now();
            // The critical section: read the lock back. Another holder's token here means
            // the server handed the lock to two workers.
            const seen = await session.findOne(COLLECTION, { _id });
            rec.other();
            const to = rec.now();
            if (seen?.token !== token) issues.push({ kind: 'lock-two-holders', detail: `worker ${id} held ${_id} (token ${token}) while the server named token ${String(seen?.token)}` });
            const released = await session.findAndModify(COLLECTION, { query: { _id, holder: id, token }, update: { $set: { holder: null, token: null, expiresAt: null } } });
            rec.other();
            holds.push({ lock: _id, worker: id, from, to });
            if (!released) issues.push({ kind: 'lock-release-lost', detail: `worker ${id} held ${_id} (token ${token}) but its release matched nothing: another worker took the lock` });
          },
        };
      },
      async verify() {
        return invariantReport(['at most one holder per lock at any instant', 'every holder releases its own lock'], checkLocks(holds, issues));
      },
      extra: () => ({ acquired, busy }),
    };
  },
};
