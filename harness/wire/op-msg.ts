import { WireProtocolError } from '../errors.ts';
import { ByteCursor } from './cursor.ts';
import { crc32c } from './crc32c.ts';
import { buildHeader, totalLength, type MessageHeader } from './header.ts';
import { HEADER_SIZE, MSG_FLAGS, MSG_KNOWN_REQUIRED_BITS, OP_CODES } from './opcodes.ts';

/** Kind 0: the body, exactly one per message. Kind 1: a document sequence (OP_MSG spec, "Sections"). */
export type MsgSection =
  | { readonly kind: 0; readonly body: Buffer }
  | { readonly kind: 1; readonly identifier: string; readonly documents: readonly Buffer[] };

/** An OP_MSG with its BSON left as slices of the input: decode only what is needed. */
export interface OpMsg {
  readonly opCode: typeof OP_CODES.OP_MSG;
  readonly header: MessageHeader;
  readonly flags: number;
  readonly sections: readonly MsgSection[];
  readonly checksum?: number;
}

export function parseOpMsg(buf: Buffer, header: MessageHeader): OpMsg {
  const c = new ByteCursor(buf, HEADER_SIZE, header.messageLength);
  const flags = c.uint32('OP_MSG flagBits');
  const unknown = flags & 0xffff & ~MSG_KNOWN_REQUIRED_BITS;
  if (unknown !== 0) throw new WireProtocolError(`OP_MSG flagBits: unknown required bit(s) 0x${unknown.toString(16)}`);
  const hasChecksum = (flags & MSG_FLAGS.CHECKSUM_PRESENT) !== 0;
  const sectionsEnd = hasChecksum ? header.messageLength - 4 : header.messageLength;
  if (sectionsEnd < c.pos) throw new WireProtocolError('OP_MSG: too short for its checksum');
  const sc = new ByteCursor(buf, c.pos, sectionsEnd);
  const sections: MsgSection[] = [];
  let bodies = 0;
  while (sc.remaining > 0) {
    const kind = sc.uint8('OP_MSG section kind');
    if (kind === 0) {
      sections.push({ kind: 0, body: sc.document('OP_MSG body') });
      bodies++;
    } else if (kind === 1) {
      const start = sc.pos;
      const size = sc.int32('OP_MSG sequence size');
      if (size < 5 || start + size > sectionsEnd) throw new WireProtocolError(`OP_MSG sequence size ${size} at offset ${start} out of bounds`);
      const seq = new ByteCursor(buf, sc.pos, start + size);
      const identifier = seq.cstring('OP_MSG sequence identifier');
      const documents: Buffer[] = [];
      while (seq.remaining > 0) documents.push(seq.document(`OP_MSG sequence ${identifier}`));
      sc.pos = start + size;
      sections.push({ kind: 1, identifier, documents });
    } else {
      throw new WireProtocolError(`OP_MSG: unknown section kind ${kind} at offset ${sc.pos - 1}`);
    }
  }
  if (bodies !== 1) throw new WireProtocolError(`OP_MSG: ${bodies} body sections, exactly 1 expected`);
  let checksum: number | undefined;
  if (hasChecksum) {
    checksum = buf.readUInt32LE(sectionsEnd);
    const actual = crc32c(buf, 0, sectionsEnd);
    if (actual !== checksum) throw new WireProtocolError(`OP_MSG checksum 0x${checksum.toString(16)} does not match content (0x${actual.toString(16)})`);
  }
  return { opCode: OP_CODES.OP_MSG, header, flags, sections, ...(checksum === undefined ? {} : { checksum }) };
}

export interface OpMsgInput {
  readonly requestId: number;
  readonly responseTo?: number;
  readonly flags?: number;
  readonly sections: readonly MsgSection[];
}

/**
 * Builds an OP_MSG as a list of buffers (no concatenation of the BSON). When the
 * checksumPresent flag is set the checksum is computed over the joined bytes, the one
 * case that needs a copy.
 */
export function buildOpMsg(input: OpMsgInput): Buffer[] {
  const flags = input.flags ?? 0;
  const parts: Buffer[] = [];
  const flagBuf = Buffer.allocUnsafe(4);
  flagBuf.writeUInt32LE(flags >>> 0, 0);
  parts.push(flagBuf);
  for (const s of input.sections) {
    if (s.kind === 0) {
      parts.push(Buffer.of(0), s.body);
    } else {
      const id = Buffer.from(`${s.identifier}\0`, 'utf8');
      const size = 4 + id.length + totalLength(s.documents);
      const head = Buffer.allocUnsafe(5);
      head[0] = 1;
      head.writeInt32LE(size, 1);
      parts.push(head, id, ...s.documents);
    }
  }
  const withChecksum = (flags & MSG_FLAGS.CHECKSUM_PRESENT) !== 0;
  const length = HEADER_SIZE + totalLength(parts) + (withChecksum ? 4 : 0);
  const out = [buildHeader(length, input.requestId, input.responseTo ?? 0, OP_CODES.OP_MSG), ...parts];
  if (withChecksum) {
    const joined = Buffer.concat(out);
    const sum = Buffer.allocUnsafe(4);
    sum.writeUInt32LE(crc32c(joined), 0);
    out.push(sum);
  }
  return out;
}
