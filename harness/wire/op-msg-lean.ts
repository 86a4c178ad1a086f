import type { DecodedMessage } from './message.ts';
import { HEADER_SIZE, MAX_MESSAGE_SIZE, MSG_FLAGS, MSG_KNOWN_REQUIRED_BITS, OP_CODES } from './opcodes.ts';

/** flagBits, the section kind byte and the body's length: where a lone body starts. */
const BODY_AT = HEADER_SIZE + 4 + 1;

/**
 * decodePlainMessage for the common case, in a few reads: an OP_MSG of one body section
 * and no checksum, which is what drivers send and servers answer nearly always.
 * Returns what decodePlainMessage returns for it (the same fields and values), or
 * undefined for any other message, malformed ones included: the caller then takes the
 * general path, which reports them exactly as before.
 */
export function decodeSingleBodyOpMsg(buf: Buffer): DecodedMessage | undefined {
  const length = buf.length;
  if (length < BODY_AT + 5 || length > MAX_MESSAGE_SIZE) return undefined;
  const opCode = buf.readInt32LE(12);
  if (opCode !== OP_CODES.OP_MSG || buf.readInt32LE(0) !== length) return undefined;
  const flags = buf.readUInt32LE(HEADER_SIZE);
  if ((flags & 0xffff & ~MSG_KNOWN_REQUIRED_BITS) !== 0 || (flags & MSG_FLAGS.CHECKSUM_PRESENT) !== 0) return undefined;
  if (buf[HEADER_SIZE + 4] !== 0 || buf.readInt32LE(BODY_AT) !== length - BODY_AT || buf[length - 1] !== 0) return undefined;
  const responseTo = buf.readInt32LE(8);
  return {
    message: {
      opCode: OP_CODES.OP_MSG,
      header: { messageLength: length, requestId: buf.readInt32LE(4), responseTo, opCode },
      flags,
      sections: [{ kind: 0, body: buf.subarray(BODY_AT) }],
    },
    isReply: responseTo !== 0,
    wireSize: length,
  };
}
