import { createHash, type Hash } from 'node:crypto';
import { BSON } from 'mongodb';

/**
 * Digests of outcomes, so that equal outcomes need not be stored in full. Fields
 * that differ on every server by nature (cluster time, the live cursor id, election
 * ids) are left out, or every operation would look like a difference. The compare
 * stage does the real normalisation; this only decides what the run keeps in full.
 */
const VOLATILE_TOP = new Set(['$clusterTime', 'operationTime', 'electionId', 'opTime', 'lastCommittedOpTime', '$gleStats', '$configServerState', '$topologyTime', 'localTime']);

export function stripVolatile(reply: BSON.Document): BSON.Document {
  const out: BSON.Document = {};
  for (const key of Object.keys(reply)) {
    if (VOLATILE_TOP.has(key)) continue;
    const value: unknown = reply[key];
    if (key === 'cursor' && value !== null && typeof value === 'object') {
      const { id: _id, ...rest } = value as BSON.Document;
      out[key] = rest;
    } else out[key] = value;
  }
  return out;
}

/** A running digest over a reply and the documents of its cursor, fed as they arrive. */
export class OutcomeDigest {
  private readonly hash: Hash = createHash('sha256');

  reply(reply: BSON.Document): void {
    this.hash.update(BSON.serialize(stripVolatile(reply)));
  }

  docs(docs: readonly BSON.Document[]): void {
    for (const d of docs) this.hash.update(BSON.serialize(d));
  }

  error(error: { code?: number; codeName?: string }): void {
    this.hash.update(`error:${error.code ?? ''}:${error.codeName ?? ''}`);
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}
