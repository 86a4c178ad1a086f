import type { BSON } from 'mongodb';
import type { OutcomeError, OutcomeStatus, TargetOutcome } from '../model/run/outcome.ts';
import { IGNORED_REPLY_FIELDS } from './volatile.ts';
import { kindOf } from './value.ts';

/**
 * One side of a comparison, normalised:
 * - volatile top-level fields (volatile.ts plus config) removed from the reply;
 * - a cursor's documents taken out of the reply into `docs` (from `docs`, or from
 *   `cursor.firstBatch`/`nextBatch` when the source kept them inline, as recorded
 *   replies do), so that results compare as results and replies as envelopes;
 * - `distinct` values moved into `docs` too: their order is not promised.
 * Everything else (numeric types, field order) is kept: diff.ts reports those as
 * their own kinds. normalise(normalise(x)) equals normalise(x).
 */
export interface NormalSide {
  readonly status: OutcomeStatus;
  readonly reply?: BSON.Document;
  readonly docs?: readonly unknown[];
  readonly digest?: string;
  readonly error?: OutcomeError;
  readonly reason?: string;
}

export const DEFAULT_IGNORED = new Set(IGNORED_REPLY_FIELDS);

export function normaliseSide(side: TargetOutcome | NormalSide, cmd: string, ignored: ReadonlySet<string> = DEFAULT_IGNORED): NormalSide {
  const out: { -readonly [K in keyof NormalSide]: NormalSide[K] } = { status: side.status };
  if (side.digest !== undefined) out.digest = side.digest;
  if (side.error !== undefined) out.error = side.error;
  if (side.reason !== undefined) out.reason = side.reason;
  let docs = Array.isArray(side.docs) ? (side.docs as readonly unknown[]) : undefined;
  if (side.reply !== undefined && kindOf(side.reply) !== 'document') {
    out.reply = side.reply; // not a document: kept as it is, the diff shows it
  } else if (side.reply !== undefined) {
    const reply: BSON.Document = {};
    for (const [k, v] of Object.entries(side.reply)) {
      if (ignored.has(k)) continue;
      if (k === 'cursor' && kindOf(v) === 'document') {
        const cursor: BSON.Document = {};
        for (const [ck, cv] of Object.entries(v as BSON.Document)) {
          if ((ck === 'firstBatch' || ck === 'nextBatch') && Array.isArray(cv)) {
            if (docs === undefined) docs = cv;
            continue;
          }
          cursor[ck] = cv;
        }
        reply[k] = cursor;
      } else if (k === 'values' && cmd === 'distinct' && Array.isArray(v)) {
        if (docs === undefined) docs = v;
      } else {
        reply[k] = v;
      }
    }
    out.reply = reply;
  }
  if (docs !== undefined) out.docs = docs;
  return out;
}

/** The recorded production answer as a side, when the capture kept it. */
export function recordedSide(
  recorded: { readonly reply?: BSON.Document; readonly docs?: readonly BSON.Document[]; readonly error?: OutcomeError } | undefined,
  cmd: string,
  ignored: ReadonlySet<string> = DEFAULT_IGNORED,
): NormalSide | undefined {
  if (!recorded || (recorded.reply === undefined && recorded.error === undefined && recorded.docs === undefined)) return undefined;
  const status: OutcomeStatus = recorded.error !== undefined ? 'error' : 'ok';
  return normaliseSide({ status, reply: recorded.reply, docs: recorded.docs, error: recorded.error }, cmd, ignored);
}
