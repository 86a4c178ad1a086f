import { createHash } from 'node:crypto';
import type { Document } from 'mongodb';
import type { OperationRecord } from '../../model/record.ts';

export type ReplyMode = 'full' | 'digest' | 'none';

/** The error a reply reports: command failure first, then the first write error, then a write concern error. */
export function replyError(doc: Document): OperationRecord['error'] | undefined {
  const ok = num(doc.ok);
  if (ok !== undefined && ok !== 1) return errorFields(doc, doc.errmsg ?? doc.$err);
  if (doc.$err !== undefined) return errorFields(doc, doc.$err);
  const we = Array.isArray(doc.writeErrors) ? (doc.writeErrors[0] as Document | undefined) : undefined;
  if (we && typeof we === 'object') return errorFields(we, we.errmsg);
  const wce = doc.writeConcernError as Document | undefined;
  if (wce && typeof wce === 'object') return errorFields(wce, wce.errmsg);
  return undefined;
}

function errorFields(doc: Document, message: unknown): NonNullable<OperationRecord['error']> {
  const code = num(doc.code);
  return {
    ...(code !== undefined ? { code } : {}),
    ...(typeof doc.codeName === 'string' ? { codeName: doc.codeName } : {}),
    ...(typeof message === 'string' ? { message } : {}),
  };
}

/** Documents in a cursor batch, or `n` of a write. */
export function replyCount(doc: Document): number | undefined {
  const cursor = doc.cursor as Document | undefined;
  if (cursor && typeof cursor === 'object') {
    const batch = cursor.firstBatch ?? cursor.nextBatch;
    if (Array.isArray(batch)) return batch.length;
  }
  return num(doc.n);
}

export function digestOf(bytes: readonly Uint8Array[]): string {
  const h = createHash('sha256');
  for (const b of bytes) h.update(b);
  return h.digest('hex');
}

/** Number of a BSON numeric (Int32, Double, Long) or a JS number; undefined otherwise. */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'valueOf' in v) {
    const n = Number((v as { valueOf(): unknown }).valueOf());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}
