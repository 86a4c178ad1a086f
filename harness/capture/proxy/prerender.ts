import { nameEquals, writeBsonAsCanonical, type TopLevelVisitor } from '../../model/ejson/bson-text.ts';
import { ByteSink } from '../../model/ejson/text.ts';
import type { Document } from 'mongodb';
import { prerenderedDocument, PrerenderedReply } from '../../model/prerendered.ts';
import { decodeBsonFast } from '../../wire/index.ts';

/** Texts are cut from arenas of this size; a new one is started when less than SPARE is left. */
const ARENA_BYTES = 1024 * 1024;
const SPARE = 64 * 1024;

/**
 * Top-level fields that make recording a reply more than writing it out: an error the
 * record carries (`replyError`), or a credential it must not keep (`stripReplyCredentials`).
 * A reply holding one is decoded, as every reply was before.
 */
const DECODE_FOR: readonly string[] = ['$err', 'writeErrors', 'writeConcernError', 'speculativeAuthenticate'];

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
    let plain = true;
    const text = this.text(body, (from, to, type, at) => {
      if (nameEquals(body, from, to, 'ok')) plain &&= okIsOne(body, type, at);
      else if (DECODE_FOR.some((name) => nameEquals(body, from, to, name))) plain = false;
    });
    if (text === undefined) return undefined;
    if (!plain) {
      this.takeBack(text);
      return undefined;
    }
    return new PrerenderedReply(text, body, decodeBsonFast);
  }

  /**
   * A command body (an OP_MSG request of one body section) rendered the same way, with
   * what the decoder reads of it: the command's name (its first field), `$db`, and the
   * collection when the first field's value is a string. Undefined for a body the text
   * writer leaves to the driver, one without fields, or one with speculativeAuthenticate
   * (a credential stripCredentials removes).
   */
  renderCommand(body: Buffer): RenderedCommand | undefined {
    let cmd: string | undefined;
    let coll: string | undefined;
    let db = '';
    let plain = true;
    const text = this.text(body, (from, to, type, at) => {
      if (cmd === undefined) {
        cmd = body.toString('utf8', from, to);
        if (type === 0x02) coll = stringAt(body, at);
      } else if (nameEquals(body, from, to, '$db')) db = type === 0x02 ? stringAt(body, at) : '';
      else if (nameEquals(body, from, to, 'speculativeAuthenticate')) plain = false;
    });
    if (text === undefined) return undefined;
    if (!plain || cmd === undefined) {
      this.takeBack(text);
      return undefined;
    }
    return { command: prerenderedDocument(text, body, decodeBsonFast), cmd, db, ...(coll ? { coll } : {}) };
  }

  /** The body's canonical text as a slice of the arena, or undefined (nothing kept). */
  private text(body: Buffer, top: TopLevelVisitor): Buffer | undefined {
    let out = this.arena;
    if (out.buf.length - out.pos < SPARE) out = this.arena = new ByteSink(Buffer.allocUnsafeSlow(ARENA_BYTES));
    const start = out.pos;
    if (!writeBsonAsCanonical(body, out, top)) return undefined;
    const text = out.buf.subarray(start, out.pos);
    // A text that outgrew the arena was written into a copy (ByteSink.ensure): later texts go to a fresh arena.
    if (out.buf.length !== ARENA_BYTES) this.arena = new ByteSink(Buffer.allocUnsafeSlow(ARENA_BYTES));
    return text;
  }

  /** The last text handed out is not kept after all: its bytes go back to the arena. */
  private takeBack(text: Buffer): void {
    const out = this.arena;
    if (out.buf.buffer === text.buffer && text.byteOffset + text.length === out.buf.byteOffset + out.pos) out.pos -= text.length;
  }
}

export interface RenderedCommand {
  readonly command: Document;
  readonly cmd: string;
  readonly db: string;
  readonly coll?: string;
}

/** The string value whose length prefix is at `at` (the text writer has checked it). */
function stringAt(body: Buffer, at: number): string {
  return body.toString('utf8', at + 4, at + 4 + body.readInt32LE(at) - 1);
}

/** `ok` of type double, int32 or int64 holding 1 (what replyError counts as success). */
function okIsOne(body: Buffer, type: number, at: number): boolean {
  if (type === 0x01) return body.readDoubleLE(at) === 1;
  if (type === 0x10) return body.readInt32LE(at) === 1;
  if (type === 0x12) return body.readInt32LE(at) === 1 && body.readInt32LE(at + 4) === 0;
  return false;
}
