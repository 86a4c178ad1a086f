import type { BSON } from 'mongodb';
import type { SendOptions, SendResult } from '../replay/target.ts';
import type { ReplayTarget } from '../replay/send.ts';

/**
 * Production as a replay target: it sends nothing and answers each operation with the
 * reply production itself gave, as the proxy recorded it. Shadow runs the replay engine
 * with this target as the baseline and the live candidates beside it, so cursors,
 * sessions and outcomes are exactly a replay's, and compare judges candidate against
 * production as it judges candidate against baseline.
 *
 * Its latency is the proxy's: from the request's first byte to the reply's last, as the
 * record's `dur`. The round trips that only end a cursor (a drain after production
 * read its cursor to the end, a kill) carry no record: production had nothing more to
 * say there, so they are answered with an exhausted batch and an acknowledgement.
 */
export class ProductionTarget implements ReplayTarget {
  /** Read preferences are production's own business: the rewrite keeps them for its side. */
  readonly replicaSet = true;

  constructor(readonly name: string) {}

  send(_db: string, command: BSON.Document, options: SendOptions): Promise<SendResult> {
    const rec = options.record;
    const endAt = performance.now();
    if (rec === undefined) return Promise.resolve({ kind: 'ok', reply: closing(command), sentAt: endAt, endAt });
    const sentAt = endAt - (rec.dur ?? 0) / 1000;
    // As a live target's: a command that failed (`ok: 0`) is an error; a reply that carries
    // write errors is a reply (the record's `error` names its first write error too).
    const doc = rec.reply?.mode === 'full' ? rec.reply.doc : undefined;
    if (doc && !failed(doc)) return Promise.resolve({ kind: 'ok', reply: doc, sentAt, endAt });
    if (rec.error) return Promise.resolve({ kind: 'error', error: rec.error, sentAt, endAt });
    return Promise.resolve({ kind: 'unavailable', reason: 'production reply not recorded (the connection closed or lost it before the reply)' });
  }
}

function failed(doc: BSON.Document): boolean {
  const ok: unknown = doc.ok;
  const n = typeof ok === 'number' ? ok : ok !== null && typeof ok === 'object' ? Number((ok as { valueOf(): unknown }).valueOf()) : Number.NaN;
  return n === 0;
}

/** What production would say to a round trip it never saw: a getMore ends its cursor, anything else succeeds. */
function closing(command: BSON.Document): BSON.Document {
  if ('getMore' in command) return { cursor: { id: 0, nextBatch: [], ns: `${String(command.$db ?? '')}.${String(command.collection ?? '')}` }, ok: 1 };
  if ('killCursors' in command) return { cursorsKilled: command.cursors ?? [], cursorsNotFound: [], cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  return { ok: 1 };
}
