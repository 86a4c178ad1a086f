import { WireProtocolError } from '../errors.ts';
import { HEADER_SIZE, MAX_MESSAGE_SIZE } from './opcodes.ts';

/**
 * Cuts a byte stream into whole messages by their length prefix, over a list of
 * received chunks: a message inside one chunk is a zero-copy `subarray`; only a
 * message spread over several chunks is joined. The time its first byte arrived is
 * kept with each message (the record's start time).
 *
 *   chunks: [ ...tail of msg A | msg B | head of msg C ] [ rest of msg C ] ...
 *            ^ offset into chunks[0]
 */
export class MessageFramer {
  private chunks: Buffer[] = [];
  private offset = 0;
  private buffered = 0;
  private frameStartUs = 0;
  /** Set once a bad length was seen: the stream cannot be resynchronised. */
  failed: WireProtocolError | undefined;

  /**
   * Adds a chunk and calls `onMessage` for each completed message. Returns the error
   * that stopped framing, if any (then nothing more is framed on this stream).
   */
  push(chunk: Buffer, nowUs: number, onMessage: (message: Buffer, startUs: number) => void): WireProtocolError | undefined {
    if (this.failed) return this.failed;
    if (this.buffered === 0) this.frameStartUs = nowUs;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const length = this.peekLength();
      if (length < HEADER_SIZE || length > MAX_MESSAGE_SIZE) {
        this.failed = new WireProtocolError(`message length ${length} outside [${HEADER_SIZE}, ${MAX_MESSAGE_SIZE}]`);
        this.chunks = [];
        this.buffered = 0;
        return this.failed;
      }
      if (this.buffered < length) break;
      const message = this.take(length);
      const started = this.frameStartUs;
      // The next message began in this same chunk at the earliest.
      this.frameStartUs = nowUs;
      onMessage(message, started);
    }
    return undefined;
  }

  /** Bytes of an incomplete message still held (for "closed mid-request" reasons). */
  get pending(): number {
    return this.buffered;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length - this.offset >= 4) return first.readInt32LE(this.offset);
    const four = Buffer.allocUnsafe(4);
    let got = 0;
    for (let i = 0; got < 4; i++) {
      const c = this.chunks[i]!;
      const from = i === 0 ? this.offset : 0;
      const n = Math.min(4 - got, c.length - from);
      c.copy(four, got, from, from + n);
      got += n;
    }
    return four.readInt32LE(0);
  }

  private take(length: number): Buffer {
    const first = this.chunks[0]!;
    this.buffered -= length;
    if (first.length - this.offset >= length) {
      const out = first.subarray(this.offset, this.offset + length);
      this.offset += length;
      if (this.offset === first.length) {
        this.chunks.shift();
        this.offset = 0;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const c = this.chunks[0]!;
      const n = Math.min(length - got, c.length - this.offset);
      c.copy(out, got, this.offset, this.offset + n);
      got += n;
      this.offset += n;
      if (this.offset === c.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    }
    return out;
  }
}
