import { createHash, hash, type Hash } from 'node:crypto';
import { BSON } from 'mongodb';
import { VOLATILE_TOP } from './raw-reply.ts';

/**
 * Digests of outcomes, so that equal outcomes need not be stored in full. Fields
 * that differ on every server by nature (cluster time, the live cursor id, election
 * ids) are left out, or every operation would look like a difference. The compare
 * stage does the real normalisation; this only decides what the run keeps in full.
 */

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

/** The digest of one reply whole in one message, from its digest bytes (raw-reply.ts): what OutcomeDigest gives for it. */
export function replyBytesHex(stripped: Uint8Array): string {
  return hash('sha256', stripped, 'hex');
}

/**
 * A digest over a reply and the documents of its cursor, fed as they arrive. The
 * serialised pieces are kept and hashed once, with the one-shot `crypto.hash`, when the
 * hex is asked for: a `Hash` object per outcome cost ~3 µs per operation (profiled,
 * replay bench), about as much as serialising the reply. The digest is the same
 * SHA-256 as before over the same bytes in the same order.
 */
export class OutcomeDigest {
  private parts: Uint8Array[] = [];
  private bytes = 0;
  /** Past PARTS_MAX_BYTES (a long cursor) the pieces go into a streaming hash, so memory stays flat. */
  private stream?: Hash;

  reply(reply: BSON.Document): void {
    this.add(BSON.serialize(stripVolatile(reply)));
  }

  docs(docs: readonly BSON.Document[]): void {
    for (const d of docs) this.add(BSON.serialize(d));
  }

  /**
   * Bytes that stand for what reply() or docs() would serialise: a reply's digest bytes
   * or a document's own BSON, read from the reply as received (raw-reply.ts).
   */
  addBytes(part: Uint8Array): void {
    this.add(part);
  }

  error(error: { code?: number; codeName?: string }): void {
    this.add(Buffer.from(`error:${error.code ?? ''}:${error.codeName ?? ''}`));
  }

  hex(): string {
    if (this.stream) {
      for (const p of this.parts) this.stream.update(p);
      return this.stream.digest('hex');
    }
    return hash('sha256', this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts), 'hex');
  }

  private add(part: Uint8Array): void {
    this.parts.push(part);
    this.bytes += part.byteLength;
    if (this.bytes > PARTS_MAX_BYTES) {
      this.stream ??= createHash('sha256');
      for (const p of this.parts) this.stream.update(p);
      this.parts = [];
      this.bytes = 0;
    }
  }
}

const PARTS_MAX_BYTES = 256 * 1024;
