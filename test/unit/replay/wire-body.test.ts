import fc from 'fast-check';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { isOk } from '../../../harness/replay/wire-pool.ts';
import { bsonElement, buildOpMsgCommand } from '../../../harness/wire/index.ts';
import { documentArb } from '../../helpers/wire-arbitraries.ts';

describe('wire transport command bodies', () => {
  it('a serialised command with $db and lsid elements appended is the body of the command with those fields, in order', () => {
    fc.assert(
      fc.property(documentArb, fc.string({ minLength: 1, maxLength: 20 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (doc, db, id) => {
        fc.pre(!Object.hasOwn(doc, 'lsid'));
        const lsid = { id: new BSON.Binary(id, 4) };
        const message = buildOpMsgCommand(1, BSON.serialize(doc), [bsonElement('$db', db), bsonElement('lsid', lsid)]);
        // Compared as bytes with the whole command serialised at once: every element's type,
        // value and position must match.
        expect(message.subarray(21)).toEqual(Buffer.from(BSON.serialize({ ...doc, $db: db, lsid })));
      }),
    );
  });

  it('reads ok in every numeric BSON type a reply carries', () => {
    expect(isOk({ ok: 1 })).toBe(true);
    expect(isOk({ ok: new BSON.Double(1) })).toBe(true);
    expect(isOk({ ok: new BSON.Int32(1) })).toBe(true);
    expect(isOk({ ok: new BSON.Double(0) })).toBe(false);
    expect(isOk({ ok: true })).toBe(true);
    expect(isOk({})).toBe(false);
  });
});
