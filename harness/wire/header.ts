import { WireProtocolError } from '../errors.ts';
import { HEADER_SIZE, MAX_MESSAGE_SIZE } from './opcodes.ts';

export interface MessageHeader {
  readonly messageLength: number;
  readonly requestId: number;
  readonly responseTo: number;
  readonly opCode: number;
}

/** Reads the 16-byte header; a length outside [16, 48 MB] is a typed error. */
export function parseHeader(buf: Buffer, offset = 0): MessageHeader | WireProtocolError {
  if (buf.length - offset < HEADER_SIZE) return new WireProtocolError(`message header: needs ${HEADER_SIZE} bytes, got ${buf.length - offset}`);
  const messageLength = buf.readInt32LE(offset);
  if (messageLength < HEADER_SIZE || messageLength > MAX_MESSAGE_SIZE) {
    return new WireProtocolError(`message header: length ${messageLength} outside [${HEADER_SIZE}, ${MAX_MESSAGE_SIZE}]`);
  }
  return {
    messageLength,
    requestId: buf.readInt32LE(offset + 4),
    responseTo: buf.readInt32LE(offset + 8),
    opCode: buf.readInt32LE(offset + 12),
  };
}

export function buildHeader(messageLength: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER_SIZE);
  h.writeInt32LE(messageLength, 0);
  h.writeInt32LE(requestId | 0, 4);
  h.writeInt32LE(responseTo | 0, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

export function totalLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}
