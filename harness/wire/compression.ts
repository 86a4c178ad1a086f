import { deflateSync, inflateSync } from 'node:zlib';
import { WireProtocolError } from '../errors.ts';
import { ByteCursor } from './cursor.ts';
import { buildHeader, type MessageHeader } from './header.ts';
import { COMPRESSOR_IDS, compressorName, HEADER_SIZE, MAX_MESSAGE_SIZE, OP_CODES, type CompressorName } from './opcodes.ts';

/** OP_COMPRESSED (compression spec): the wrapped message's opCode, its size and the compressed body. */
export interface OpCompressed {
  readonly opCode: typeof OP_CODES.OP_COMPRESSED;
  readonly header: MessageHeader;
  readonly originalOpCode: number;
  readonly uncompressedSize: number;
  readonly compressor: CompressorName;
  readonly compressed: Buffer;
}

export function parseOpCompressed(buf: Buffer, header: MessageHeader): OpCompressed {
  const c = new ByteCursor(buf, HEADER_SIZE, header.messageLength);
  const originalOpCode = c.int32('OP_COMPRESSED originalOpcode');
  const uncompressedSize = c.int32('OP_COMPRESSED uncompressedSize');
  const id = c.uint8('OP_COMPRESSED compressorId');
  const compressor = compressorName(id);
  if (!compressor) throw new WireProtocolError(`OP_COMPRESSED: unknown compressorId ${id}`);
  if (uncompressedSize < 0 || uncompressedSize > MAX_MESSAGE_SIZE) throw new WireProtocolError(`OP_COMPRESSED: uncompressedSize ${uncompressedSize} out of range`);
  if (originalOpCode === OP_CODES.OP_COMPRESSED) throw new WireProtocolError('OP_COMPRESSED wraps another OP_COMPRESSED');
  return { opCode: OP_CODES.OP_COMPRESSED, header, originalOpCode, uncompressedSize, compressor, compressed: c.rest() };
}

/*
 * The codecs load lazily: snappy and @mongodb-js/zstd are native packages, and a
 * connection that never compresses should not pay for loading them. Both install
 * here (snappy 7, @mongodb-js/zstd 1.2); zlib is Node's own.
 */
let snappy: Promise<typeof import('snappy')> | undefined;
let zstd: Promise<typeof import('@mongodb-js/zstd')> | undefined;

async function inflate(compressor: CompressorName, data: Buffer, size: number): Promise<Buffer> {
  switch (compressor) {
    case 'noop':
      return data;
    case 'zlib':
      return inflateSync(data, { maxOutputLength: Math.max(size, 1) });
    case 'snappy': {
      const m = await (snappy ??= import('snappy'));
      return (await m.uncompress(data)) as Buffer;
    }
    case 'zstd': {
      const m = await (zstd ??= import('@mongodb-js/zstd'));
      return m.decompress(data);
    }
  }
}

/**
 * Turns an OP_COMPRESSED into the message it wraps, header rebuilt with the original
 * opCode and the same requestID/responseTo. Errors come back as values.
 */
export async function decompressMessage(m: OpCompressed): Promise<Buffer | WireProtocolError> {
  let body: Buffer;
  try {
    body = await inflate(m.compressor, m.compressed, m.uncompressedSize);
  } catch (err) {
    return new WireProtocolError(`OP_COMPRESSED: ${m.compressor} data does not decompress`, { cause: err });
  }
  if (body.length !== m.uncompressedSize) {
    return new WireProtocolError(`OP_COMPRESSED: ${m.compressor} gave ${body.length} bytes, header said ${m.uncompressedSize}`);
  }
  const header = buildHeader(HEADER_SIZE + body.length, m.header.requestId, m.header.responseTo, m.originalOpCode);
  return Buffer.concat([header, body]);
}

/** Wraps a whole message (header included) in OP_COMPRESSED. Used by tests and benchmarks. */
export async function compressMessage(message: Buffer, compressor: CompressorName): Promise<Buffer> {
  const body = message.subarray(HEADER_SIZE);
  let data: Buffer;
  switch (compressor) {
    case 'noop':
      data = body;
      break;
    case 'zlib':
      data = deflateSync(body);
      break;
    case 'snappy':
      data = (await (snappy ??= import('snappy'))).compressSync(body);
      break;
    case 'zstd':
      data = await (await (zstd ??= import('@mongodb-js/zstd'))).compress(body, 3);
      break;
  }
  const extra = Buffer.allocUnsafe(9);
  extra.writeInt32LE(message.readInt32LE(12), 0);
  extra.writeInt32LE(body.length, 4);
  extra[8] = COMPRESSOR_IDS[compressor];
  const header = buildHeader(HEADER_SIZE + 9 + data.length, message.readInt32LE(4), message.readInt32LE(8), OP_CODES.OP_COMPRESSED);
  return Buffer.concat([header, extra, data]);
}
