import { writeBsonAsCanonical } from '../../model/ejson/bson-text.ts';
import { ByteSink } from '../../model/ejson/text.ts';
import { PrerenderedReply } from '../../model/prerendered.ts';
import { decodeBsonFast } from '../../wire/index.ts';

/** Texts are cut from arenas of this size; a new one is started when less than SPARE is left. */
const ARENA_BYTES = 1024 * 1024;
const SPARE = 64 * 1024;

/**
 * Top-level fields that make recording a reply more than writing it out: an error the
 * record carries (`replyError`), or a credential it must not keep (`stripReplyCredentials`).
 * A reply holding one is decoded, as every reply was before.
 */
const DECODE_FOR: ReadonlySet<string> = new Set(['$err', 'writeErrors', 'writeConcernError', 'speculativeAuthenticate']);

/**
 * Full replies recorded without being decoded (model/prerendered.ts): the body's
 * canonical text is written at once into an arena (many replies per allocation) and the
 * record keeps that slice. Only for replies that record as they are: `ok` 1 or absent,
 * none of DECODE_FOR, and nothing the text writer leaves to the driver; for any other
 * reply `render` answers undefined and the decoder decodes it as before. Used only
 * where replies are not redacted.
 */
export class ReplyRenderer {
  private arena = new ByteSink(Buffer.allocUnsafeSlow(ARENA_BYTES));

  render(body: Buffer): PrerenderedReply | undefined {
    const out = this.arena;
    if (out.buf.length - out.pos < SPARE) {
      this.arena = new ByteSink(Buffer.allocUnsafeSlow(ARENA_BYTES));
      return this.render(body);
    }
    const start = out.pos;
    let plain = true;
    const ok = writeBsonAsCanonical(body, out, (name, type, at) => {
      if (name === 'ok') plain &&= okIsOne(body, type, at);
      else if (DECODE_FOR.has(name)) plain = false;
    });
    if (!ok) return undefined;
    if (!plain) {
      out.pos = start;
      return undefined;
    }
    // A text that outgrew the arena was written into a copy (ByteSink.ensure): later texts go to a fresh arena.
    const text = out.buf.subarray(start, out.pos);
    if (out.buf.length !== ARENA_BYTES) this.arena = new ByteSink(Buffer.allocUnsafeSlow(ARENA_BYTES));
    return new PrerenderedReply(text, body, decodeBsonFast);
  }
}

/** `ok` of type double, int32 or int64 holding 1 (what replyError counts as success). */
function okIsOne(body: Buffer, type: number, at: number): boolean {
  if (type === 0x01) return body.readDoubleLE(at) === 1;
  if (type === 0x10) return body.readInt32LE(at) === 1;
  if (type === 0x12) return body.readInt32LE(at) === 1 && body.readInt32LE(at + 4) === 0;
  return false;
}
