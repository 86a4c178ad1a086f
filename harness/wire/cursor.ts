import { WireProtocolError } from '../errors.ts';

/**
 * A bounds-checked reader over one message buffer. Every read that would run past
 * the end throws a WireProtocolError; the decoders catch it and return it as a value,
 * so nothing but a typed result leaves the codec.
 */
export class ByteCursor {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number = buf.length,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new WireProtocolError(`${what}: needs ${n} bytes at offset ${this.pos}, message has ${this.end - this.pos} left`);
    }
  }

  int32(what: string): number {
    this.need(4, what);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(what: string): bigint {
    this.need(8, what);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  uint8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  cstring(what: string): string {
    const nul = this.buf.indexOf(0, this.pos);
    if (nul === -1 || nul >= this.end) throw new WireProtocolError(`${what}: unterminated string at offset ${this.pos}`);
    const s = this.buf.toString('utf8', this.pos, nul);
    this.pos = nul + 1;
    return s;
  }

  /** One BSON document as a zero-copy slice; only its length frame is checked here. */
  document(what: string): Buffer {
    this.need(5, what);
    const len = this.buf.readInt32LE(this.pos);
    if (len < 5 || this.pos + len > this.end) {
      throw new WireProtocolError(`${what}: BSON length ${len} at offset ${this.pos} does not fit in ${this.end - this.pos} bytes`);
    }
    if (this.buf[this.pos + len - 1] !== 0) throw new WireProtocolError(`${what}: BSON document at offset ${this.pos} lacks its trailing 0`);
    const doc = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return doc;
  }

  rest(): Buffer {
    const b = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return b;
  }
}
