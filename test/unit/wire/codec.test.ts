import { fc, test } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { describe, expect } from 'vitest';
import { WireProtocolError } from '../../../harness/errors.ts';
import {
  buildLegacy,
  buildOpMsg,
  crc32c,
  decodeMessage,
  MSG_FLAGS,
  OP_CODES,
  parseMessage,
  replyToDocument,
  requestToCommand,
  type OpMsg,
} from '../../../harness/wire/index.ts';
import { legacyArb, messageBytesArb, opMsgArb } from '../../helpers/wire-arbitraries.ts';

describe('wire codec', () => {
  test('CRC-32C matches the Castagnoli check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  test.prop([opMsgArb])('OP_MSG round-trips: built bytes parse back to the same flags and sections', (input) => {
    const bytes = Buffer.concat(buildOpMsg(input));
    const parsed = parseMessage(bytes) as OpMsg;
    expect(parsed).not.toBeInstanceOf(WireProtocolError);
    expect(parsed.opCode).toBe(OP_CODES.OP_MSG);
    expect(parsed.header).toEqual({ messageLength: bytes.length, requestId: input.requestId, responseTo: input.responseTo, opCode: OP_CODES.OP_MSG });
    expect(parsed.flags).toBe(input.flags);
    expect(parsed.sections).toEqual(input.sections);
    expect(parsed.checksum !== undefined).toBe((input.flags & MSG_FLAGS.CHECKSUM_PRESENT) !== 0);
    // Rebuilding from the parse gives the same bytes.
    expect(Buffer.concat(buildOpMsg({ ...input, sections: parsed.sections }))).toEqual(bytes);
  });

  test.prop([legacyArb])('legacy opcodes round-trip', (input) => {
    const bytes = Buffer.concat(buildLegacy(input));
    const parsed = parseMessage(bytes);
    expect(parsed).not.toBeInstanceOf(WireProtocolError);
    const { header, ...rest } = parsed as unknown as Record<string, unknown> & { header: { requestId: number } };
    expect(header.requestId).toBe(input.requestId);
    const { requestId: _r, responseTo: _t, ...fields } = input as Record<string, unknown>;
    expect(rest).toEqual(fields);
  });

  test.prop([messageBytesArb])('requests decode to a command and replies to a document without throwing', (bytes) => {
    const parsed = parseMessage(bytes);
    if (parsed instanceof WireProtocolError || parsed.opCode === OP_CODES.OP_COMPRESSED) throw new Error('valid message did not parse');
    const out = parsed.opCode === OP_CODES.OP_REPLY ? replyToDocument(parsed) : requestToCommand(parsed);
    expect(out).toBeDefined();
  });

  test.prop([messageBytesArb, fc.nat()])('every truncation is a typed error, never a throw', async (bytes, cut) => {
    const short = bytes.subarray(0, cut % bytes.length);
    const result = await decodeMessage(short);
    expect(result).toBeInstanceOf(WireProtocolError);
  });

  test.prop([messageBytesArb, fc.nat(), fc.integer({ min: 0, max: 255 })])('a flipped byte yields a value or a typed error', async (bytes, at, value) => {
    const copy = Buffer.from(bytes);
    copy[at % copy.length] = value;
    const result = await decodeMessage(copy);
    if (!(result instanceof WireProtocolError)) {
      const out = result.isReply ? replyToDocument(result.message) : requestToCommand(result.message);
      expect(out === undefined).toBe(false);
    }
  });

  test.prop([fc.uint8Array({ maxLength: 200 })])('arbitrary bytes never throw', async (raw) => {
    const bytes = Buffer.from(raw);
    if (bytes.length >= 4) bytes.writeInt32LE(bytes.length, 0);
    const result = await decodeMessage(bytes);
    if (!(result instanceof WireProtocolError)) {
      const out = result.isReply ? replyToDocument(result.message) : requestToCommand(result.message);
      expect(out === undefined).toBe(false);
    }
  });

  test('a wrong OP_MSG checksum is rejected', () => {
    const bytes = Buffer.concat(buildOpMsg({ requestId: 1, flags: MSG_FLAGS.CHECKSUM_PRESENT, sections: [{ kind: 0, body: Buffer.from(BSON.serialize({ ping: 1, $db: 'admin' })) }] }));
    expect(parseMessage(bytes)).not.toBeInstanceOf(WireProtocolError);
    bytes[bytes.length - 1]! ^= 0xff;
    const bad = parseMessage(bytes);
    expect(bad).toBeInstanceOf(WireProtocolError);
    expect((bad as WireProtocolError).code).toBe('MC_WIRE_MALFORMED');
  });

  test('unknown required OP_MSG flag bits are rejected', () => {
    const bytes = Buffer.concat(buildOpMsg({ requestId: 1, flags: 1 << 5, sections: [{ kind: 0, body: Buffer.from(BSON.serialize({ ping: 1 })) }] }));
    expect(parseMessage(bytes)).toBeInstanceOf(WireProtocolError);
  });
});
