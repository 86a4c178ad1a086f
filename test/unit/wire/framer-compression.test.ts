import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { WireProtocolError } from '../../../harness/errors.ts';
import { COMPRESSOR_IDS, compressMessage, decodeMessage, MessageFramer, parseMessage, type CompressorName } from '../../../harness/wire/index.ts';
import { messageBytesArb } from '../../helpers/wire-arbitraries.ts';

describe('message framer', () => {
  test.prop([fc.array(messageBytesArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 })])(
    'cutting a stream anywhere yields the same messages in order',
    (messages, cuts) => {
      const stream = Buffer.concat(messages);
      const points = [...new Set(cuts.map((c) => c % stream.length))].sort((a, b) => a - b);
      const framer = new MessageFramer();
      const out: Buffer[] = [];
      let from = 0;
      for (const p of [...points, stream.length]) {
        expect(framer.push(stream.subarray(from, p), 0, (m) => out.push(Buffer.from(m)))).toBeUndefined();
        from = p;
      }
      expect(out).toEqual(messages);
      expect(framer.pending).toBe(0);
    },
  );

  test.prop([fc.uint8Array({ maxLength: 300 })])('garbage never throws: it frames or stops with a typed error', (raw) => {
    const framer = new MessageFramer();
    const err = framer.push(Buffer.from(raw), 0, (m) => void parseMessage(m));
    if (err) expect(err).toBeInstanceOf(WireProtocolError);
  });
});

describe('OP_COMPRESSED', () => {
  const compressors = Object.keys(COMPRESSOR_IDS) as CompressorName[];
  test.prop([messageBytesArb, fc.constantFrom(...compressors)])('round-trips through every compressor', async (bytes, compressor) => {
    const wrapped = await compressMessage(bytes, compressor);
    const decoded = await decodeMessage(wrapped);
    expect(decoded).not.toBeInstanceOf(WireProtocolError);
    if (decoded instanceof WireProtocolError) return;
    expect(decoded.compressor).toBe(compressor);
    expect(decoded.wireSize).toBe(wrapped.length);
    expect(decoded.message.header.requestId).toBe(bytes.readInt32LE(4));
    expect(decoded.message.header.messageLength).toBe(bytes.length);
  });

  test.prop([messageBytesArb, fc.constantFrom<CompressorName>('zlib', 'snappy', 'zstd'), fc.nat(), fc.integer({ min: 0, max: 255 })])(
    'corrupt compressed data is a typed error',
    async (bytes, compressor, at, value) => {
      const wrapped = await compressMessage(bytes, compressor);
      const i = 25 + (at % Math.max(1, wrapped.length - 25));
      if (i < wrapped.length) wrapped[i] = value;
      const decoded = await decodeMessage(wrapped);
      expect(decoded === undefined).toBe(false);
    },
  );
});
