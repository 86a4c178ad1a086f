import fc from 'fast-check';
import { BSON, type Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { peekCommandName } from '../../../../harness/capture/proxy/peek.ts';
import { buildLegacy, buildOpMsg, OP_CODES } from '../../../../harness/wire/index.ts';
import { bsonArb, documentArb, messageBytesArb, opMsgArb } from '../../../helpers/wire-arbitraries.ts';

const firstKey = (doc: Document): string | undefined => Object.keys(doc)[0];

describe('peekCommandName: the command name of a request without decoding its BSON', () => {
  it('is the first key of any OP_MSG body, whatever document sequences come before or after it', () => {
    fc.assert(
      fc.property(opMsgArb, (m) => {
        const body = m.sections.find((s) => s.kind === 0)!;
        const expected = firstKey(BSON.deserialize(body.kind === 0 ? body.body : Buffer.alloc(0)));
        expect(peekCommandName(Buffer.concat(buildOpMsg(m)))).toBe(expected);
      }),
    );
  });

  it('is the first key of an OP_QUERY query, looking inside a $query or query wrapper', () => {
    const query = (q: Document) =>
      Buffer.concat(buildLegacy({ requestId: 1, opCode: OP_CODES.OP_QUERY, flags: 0, fullCollectionName: 'admin.$cmd', numberToSkip: 0, numberToReturn: -1, query: Buffer.from(BSON.serialize(q)) }));
    fc.assert(
      fc.property(documentArb, fc.constantFrom('$query', 'query', undefined), (doc, wrapper) => {
        const q = wrapper === undefined ? doc : { [wrapper]: doc, $readPreference: { mode: 'primary' } };
        // Wrapped or not, the name is the command's own first key.
        expect(peekCommandName(query(q))).toBe(firstKey(doc));
      }),
    );
    expect(peekCommandName(query({ isMaster: 1, client: { application: { name: 'a' } } }))).toBe('isMaster');
  });

  it('never throws on any byte string, cut message or other opcode', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)), messageBytesArb), fc.nat(), (bytes, cut) => {
        const truncated = bytes.subarray(0, cut % (bytes.length + 1));
        const name = peekCommandName(truncated);
        expect(name === undefined || typeof name === 'string').toBe(true);
      }),
    );
    fc.assert(
      fc.property(bsonArb, (b) => {
        expect(() => peekCommandName(b)).not.toThrow();
      }),
    );
  });
});
