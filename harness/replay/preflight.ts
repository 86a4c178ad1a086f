import { createHash } from 'node:crypto';
import { BSON } from 'mongodb';
import type { PreflightResult } from '../model/run/files.ts';
import type { LiveTarget } from './target.ts';

/**
 * Do the targets start alike? For each database the capture touches: `dbHash` of its
 * collections where the server has it (one md5 per collection, computed by the
 * server); otherwise a count and a hash of the first SAMPLE documents by `_id`
 * per collection. Differences are reported, not fixed: they explain later outcome
 * differences, and --strict-preflight turns them into an error.
 */
const SAMPLE = 200;
/** Namespaces checked at most: a capture of a huge schema still starts in seconds. */
export const MAX_PREFLIGHT_NAMESPACES = 200;

export async function preflight(
  targets: readonly LiveTarget[],
  namespaces: ReadonlyMap<string, ReadonlySet<string>>,
  timeoutMs: number,
): Promise<PreflightResult> {
  const live = targets.filter((t) => !t.down);
  if (live.length < 2 || namespaces.size === 0) return { method: 'none', alike: true, namespaces: 0, mismatches: [] };
  let method: PreflightResult['method'] = 'dbHash';
  const mismatches: string[] = [];
  let checked = 0;
  for (const [db, colls] of namespaces) {
    const perTarget = await Promise.all(live.map((t) => withDeadline(fingerprint(t, db, [...colls]), timeoutMs)));
    if (perTarget.some((p) => p.method === 'sampled-docs')) method = 'sampled-docs';
    for (const coll of colls) {
      checked++;
      const values = perTarget.map((p) => p.byColl.get(coll) ?? 'missing');
      if (new Set(values).size > 1) {
        mismatches.push(`${db}.${coll}: ${live.map((t, i) => `${t.name}=${values[i]!.slice(0, 12)}`).join(' ')}`);
      }
    }
  }
  return { method, alike: mismatches.length === 0, namespaces: checked, mismatches };
}

async function fingerprint(t: LiveTarget, db: string, colls: string[]): Promise<{ method: PreflightResult['method']; byColl: Map<string, string> }> {
  const byColl = new Map<string, string>();
  try {
    const reply = await t.client.db(db).command({ dbHash: 1, collections: colls });
    const hashes = (reply.collections ?? {}) as Record<string, string>;
    for (const c of colls) byColl.set(c, hashes[c] ?? 'missing');
    return { method: 'dbHash', byColl };
  } catch {
    // FerretDB and some managed services have no dbHash: fall back to counts and sampled documents.
  }
  for (const c of colls) {
    try {
      const coll = t.client.db(db).collection(c);
      const count = await coll.countDocuments({});
      const hash = createHash('sha256');
      for await (const doc of coll.find({}, { sort: { _id: 1 }, limit: SAMPLE, promoteValues: false, promoteLongs: false })) {
        hash.update(BSON.serialize(doc));
      }
      byColl.set(c, `${count}:${hash.digest('hex')}`);
    } catch (err) {
      byColl.set(c, `error:${(err as Error).message.slice(0, 40)}`);
    }
  }
  return { method: 'sampled-docs', byColl };
}

/** A target that does not answer the pre-flight in time must not hold the run: it shows as a mismatch. */
async function withDeadline(
  p: Promise<{ method: PreflightResult['method']; byColl: Map<string, string> }>,
  ms: number,
): Promise<{ method: PreflightResult['method']; byColl: Map<string, string> }> {
  let timer: NodeJS.Timeout | undefined;
  p.catch(() => undefined);
  const late = new Promise<{ method: PreflightResult['method']; byColl: Map<string, string> }>((resolve) => {
    timer = setTimeout(() => resolve({ method: 'sampled-docs', byColl: new Map() }), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
