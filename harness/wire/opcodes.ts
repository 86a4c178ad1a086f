/**
 * Wire opcodes and flag bits (MongoDB Wire Protocol spec, "Standard Message Header",
 * "OP_MSG" and "Legacy Opcodes"). Frozen so they cannot drift at run time.
 */
export const OP_CODES = Object.freeze({
  OP_REPLY: 1,
  OP_UPDATE: 2001,
  OP_INSERT: 2002,
  OP_QUERY: 2004,
  OP_GET_MORE: 2005,
  OP_DELETE: 2006,
  OP_KILL_CURSORS: 2007,
  OP_COMPRESSED: 2012,
  OP_MSG: 2013,
} as const);

export type OpCodeName = keyof typeof OP_CODES;
export type OpCode = (typeof OP_CODES)[OpCodeName];

const NAME_BY_CODE = new Map<number, OpCodeName>(Object.entries(OP_CODES).map(([name, code]) => [code, name as OpCodeName]));

export function opCodeName(code: number): OpCodeName | undefined {
  return NAME_BY_CODE.get(code);
}

/** OP_MSG flagBits. Bits 0-15 are "required": a receiver must reject unknown ones. */
export const MSG_FLAGS = Object.freeze({
  CHECKSUM_PRESENT: 1 << 0,
  MORE_TO_COME: 1 << 1,
  EXHAUST_ALLOWED: 1 << 16,
} as const);

/** Required bits this codec understands; any other bit in 0-15 makes the message invalid. */
export const MSG_KNOWN_REQUIRED_BITS = MSG_FLAGS.CHECKSUM_PRESENT | MSG_FLAGS.MORE_TO_COME;

/** OP_COMPRESSED compressorId values (compression spec). */
export const COMPRESSOR_IDS = Object.freeze({ noop: 0, snappy: 1, zlib: 2, zstd: 3 } as const);
export type CompressorName = keyof typeof COMPRESSOR_IDS;

const COMPRESSOR_BY_ID = new Map<number, CompressorName>(
  Object.entries(COMPRESSOR_IDS).map(([name, id]) => [id, name as CompressorName]),
);

export function compressorName(id: number): CompressorName | undefined {
  return COMPRESSOR_BY_ID.get(id);
}

/** The header is four little-endian int32: messageLength, requestID, responseTo, opCode. */
export const HEADER_SIZE = 16;
/** The server's default maxMessageSizeBytes is 48 MB; anything larger is corruption here. */
export const MAX_MESSAGE_SIZE = 48_000_000;
