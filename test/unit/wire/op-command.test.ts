import { fc, test } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { describe, expect } from 'vitest';
import { WireProtocolError } from '../../../harness/errors.ts';
import { compressMessage, decodeMessage, OP_CODES, OP_COMMAND, OP_COMMANDREPLY, parseMessage, requestToCommand, type OpMsg } from '../../../harness/wire/index.ts';

/** An OP_COMMAND as the 3.2–3.4 shell sent it: database, command name, arguments, metadata. */
function opCommand(requestId: number, db: string, name: string, args: BSON.Document): Buffer {
  const body = Buffer.concat([Buffer.from(`${db}\0${name}\0`, 'utf8'), Buffer.from(BSON.serialize(args)), Buffer.from(BSON.serialize({}))]);
  const m = Buffer.alloc(16 + body.length);
  m.writeInt32LE(m.length, 0);
  m.writeInt32LE(requestId, 4);
  m.writeInt32LE(0, 8);
  m.writeInt32LE(OP_COMMAND, 12);
  body.copy(m, 16);
  return m;
}

describe('OP_COMMAND in the codec', () => {
  test('plain and inside snappy OP_COMPRESSED, it reads as the OP_MSG it stands for', async () => {
    const m = opCommand(7, 'shop', 'count', { count: 'orders', query: { a: 1 } });
    const plain = parseMessage(m) as OpMsg;
    expect(plain.opCode).toBe(OP_CODES.OP_MSG);
    expect(plain.header.requestId).toBe(7);
    expect(requestToCommand(plain)).toMatchObject({ db: 'shop', coll: 'orders', cmd: 'count', command: { count: 'orders', query: { a: new BSON.Int32(1) } } });
    const decoded = await decodeMessage(await compressMessage(m, 'snappy'));
    if (decoded instanceof WireProtocolError) throw decoded;
    expect(decoded.compressor).toBe('snappy');
    expect(requestToCommand(decoded.message)).toMatchObject({ db: 'shop', cmd: 'count' });
  });

  test.prop([fc.constantFrom(OP_COMMAND, OP_COMMANDREPLY), fc.uint8Array({ maxLength: 200 })], { numRuns: 300 })('garbage under its opcodes is an error value, never a throw', (opCode, bytes) => {
    const m = Buffer.alloc(16 + bytes.length);
    m.writeInt32LE(m.length, 0);
    m.writeInt32LE(opCode, 12);
    Buffer.from(bytes).copy(m, 16);
    const r = parseMessage(m);
    expect(r instanceof WireProtocolError || r.opCode === OP_CODES.OP_MSG).toBe(true);
  });
});
