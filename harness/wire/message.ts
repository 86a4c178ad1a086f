import { WireProtocolError } from '../errors.ts';
import { parseOpCompressed, decompressMessage, type OpCompressed } from './compression.ts';
import { parseHeader } from './header.ts';
import { parseLegacy, type LegacyMessage } from './legacy.ts';
import { OP_COMMAND, OP_COMMANDREPLY, opCommandAsOpMsg } from './op-command.ts';
import { parseOpMsg, type OpMsg } from './op-msg.ts';
import { OP_CODES, type CompressorName } from './opcodes.ts';

export type WireMessage = OpMsg | LegacyMessage | OpCompressed;
/** A message with any OP_COMPRESSED wrapper removed. */
export type PlainMessage = OpMsg | LegacyMessage;

/**
 * Parses one whole message (header included) without decompressing. Never throws:
 * malformed bytes come back as a WireProtocolError value.
 */
export function parseMessage(buf: Buffer): WireMessage | WireProtocolError {
  const header = parseHeader(buf);
  if (header instanceof WireProtocolError) return header;
  if (header.messageLength !== buf.length) {
    return new WireProtocolError(`message length ${header.messageLength} but ${buf.length} bytes given`);
  }
  try {
    if (header.opCode === OP_CODES.OP_MSG) return parseOpMsg(buf, header);
    if (header.opCode === OP_CODES.OP_COMPRESSED) return parseOpCompressed(buf, header);
    if (header.opCode === OP_COMMAND || header.opCode === OP_COMMANDREPLY) {
      // The 3.2-era command messages, read as the OP_MSG they stand for (op-command.ts).
      const asMsg = opCommandAsOpMsg(buf);
      if (!asMsg) return new WireProtocolError(`opCode ${header.opCode}: not a well-formed ${header.opCode === OP_COMMAND ? 'OP_COMMAND' : 'OP_COMMANDREPLY'}`);
      const h = parseHeader(asMsg);
      if (h instanceof WireProtocolError) return h;
      return parseOpMsg(asMsg, h);
    }
    return parseLegacy(buf, header);
  } catch (err) {
    return asWireError(err, `opCode ${header.opCode}`);
  }
}

export interface DecodedMessage {
  readonly message: PlainMessage;
  /** Set when the bytes on the wire were OP_COMPRESSED. */
  readonly compressor?: CompressorName;
  /** Replies are OP_REPLY, or OP_MSG answering a request (responseTo ≠ 0). */
  readonly isReply: boolean;
  /** Bytes on the wire (compressed size when compressed). */
  readonly wireSize: number;
}

/**
 * Decodes one whole message buffer into a request or a reply, unwrapping
 * OP_COMPRESSED (snappy, zlib, zstd). Async only because snappy/zstd may be loaded
 * lazily; never rejects: errors are returned.
 */
export async function decodeMessage(buf: Buffer): Promise<DecodedMessage | WireProtocolError> {
  const plain = await uncompressedMessage(buf);
  if (plain instanceof WireProtocolError) return plain;
  return decodePlainMessage(plain.buf, plain.compressor, buf.length);
}

/**
 * The message an OP_COMPRESSED carries (header rebuilt, same requestID/responseTo) and
 * its compressor; any other message as it is. Lets a reader look at a compressed
 * message's command before deciding to decode it (the shadow's admission).
 */
export async function uncompressedMessage(buf: Buffer): Promise<{ buf: Buffer; compressor?: CompressorName } | WireProtocolError> {
  if (buf.length < 16 || buf.readInt32LE(12) !== OP_CODES.OP_COMPRESSED) return { buf };
  const outer = parseMessage(buf);
  if (outer instanceof WireProtocolError) return outer;
  if (outer.opCode !== OP_CODES.OP_COMPRESSED) return { buf };
  const inner = await decompressMessage(outer);
  if (inner instanceof WireProtocolError) return inner;
  return { buf: inner, compressor: outer.compressor };
}

/**
 * The synchronous path for messages known not to be compressed (the proxy's fast path),
 * or already uncompressed (`compressor`, and the bytes it took on the wire, `wireSize`).
 */
export function decodePlainMessage(buf: Buffer, compressor?: CompressorName, wireSize = buf.length): DecodedMessage | WireProtocolError {
  return finish(parseMessage(buf), compressor, wireSize);
}

function finish(m: WireMessage | WireProtocolError, compressor: CompressorName | undefined, wireSize: number): DecodedMessage | WireProtocolError {
  if (m instanceof WireProtocolError) return m;
  if (m.opCode === OP_CODES.OP_COMPRESSED) return new WireProtocolError('OP_COMPRESSED inside OP_COMPRESSED');
  const isReply = m.opCode === OP_CODES.OP_REPLY || (m.opCode === OP_CODES.OP_MSG && m.header.responseTo !== 0);
  return { message: m, isReply, wireSize, ...(compressor ? { compressor } : {}) };
}

export function asWireError(err: unknown, what: string): WireProtocolError {
  if (err instanceof WireProtocolError) return err;
  return new WireProtocolError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
