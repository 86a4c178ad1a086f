import fc from 'fast-check';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { appendElements, bsonElement, isOk } from '../../../harness/replay/wire-pool.ts';
import { documentArb } from '../../helpers/wire-arbitraries.ts';

describe('wire transport command bodies', () => {
  it('a serialised command with $db and lsid elements appended reads back as the command with those fields, in order', () => {
    fc.assert(
      fc.property(documentArb, fc.string({ minLength: 1, maxLength: 20 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (doc, db, id) => {
        const lsid = { id: new BSON.Binary(id, 4) };
        const body = appendElements(BSON.serialize(doc), [bsonElement('$db', db), bsonElement('lsid', lsid)]);
        const back = BSON.deserialize(body, { promoteValues: false });
        expect(BSON.EJSON.stringify(back, { relaxed: false })).toBe(BSON.EJSON.stringify({ ...doc, $db: db, lsid }, { relaxed: false }));
        expect(body.readInt32LE(0)).toBe(body.length);
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
