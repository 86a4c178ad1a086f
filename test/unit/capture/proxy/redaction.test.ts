import { fc, test } from '@fast-check/vitest';
import { BSON, type Document } from 'mongodb';
import { describe, expect } from 'vitest';
import { makeRedactor, MASK } from '../../../../harness/capture/proxy/redaction.ts';
import { documentArb } from '../../../helpers/wire-arbitraries.ts';

const clone = (d: Document): Document => BSON.deserialize(BSON.serialize(d), { promoteValues: false });

describe('capture-time redaction', () => {
  const hashEmail = makeRedactor({ mode: 'hash-paths', paths: ['email', 'address.street'], key: 'k1' });

  test('named paths are replaced by keyed HMACs wherever the field appears; equal values stay equal', () => {
    const cmd: Document = {
      insert: 'users',
      documents: [
        { email: 'a@x.io', address: { street: 'Main 1', city: 'Oslo' } },
        { email: 'a@x.io', address: [{ street: 'Side 2' }] },
      ],
      $db: 'app',
    };
    hashEmail(cmd, true);
    const [d1, d2] = cmd.documents as Document[];
    expect(d1!.email).toMatch(/^hmac:[0-9a-f]{32}$/);
    expect(d1!.email).toBe(d2!.email);
    expect((d1!.address as Document).street).toMatch(/^hmac:/);
    expect((d1!.address as Document).city).toBe('Oslo');
    expect(((d2!.address as Document[])[0] as Document).street).toMatch(/^hmac:/);
    expect(JSON.stringify(cmd)).not.toContain('a@x.io');
    // A filter on the same field hashes to the same value, so the join survives.
    const find: Document = { find: 'users', filter: { email: 'a@x.io' } };
    hashEmail(find, true);
    expect((find.filter as Document).email).toBe(d1!.email);
  });

  test('another key gives other hashes', () => {
    const a: Document = { email: 'same' };
    const b: Document = { email: 'same' };
    hashEmail(a, true);
    makeRedactor({ mode: 'hash-paths', paths: ['email'], key: 'k2' })(b, true);
    expect(a.email).not.toBe(b.email);
  });

  test('mask-strings hides every string but the collection, $db and error names', () => {
    const mask = makeRedactor({ mode: 'mask-strings' });
    const cmd: Document = { find: 'users', filter: { name: 'Ann', n: 3, tags: ['x'] }, $db: 'app' };
    mask(cmd, true);
    expect(cmd).toEqual({ find: 'users', filter: { name: MASK, n: 3, tags: [MASK] }, $db: 'app' });
    const reply: Document = { ok: 0, errmsg: 'bad Ann', codeName: 'BadValue', cursor: { ns: 'app.users', firstBatch: [{ name: 'Ann' }] } };
    mask(reply, false);
    expect(reply).toEqual({ ok: 0, errmsg: MASK, codeName: 'BadValue', cursor: { ns: 'app.users', firstBatch: [{ name: MASK }] } });
  });

  test.prop([documentArb, fc.constantFrom<'hash' | 'mask'>('hash', 'mask')])('never throws and is idempotent on any document', (doc, mode) => {
    const r = mode === 'hash' ? makeRedactor({ mode: 'hash-paths', paths: ['a', 'b.c'], key: 'k' }) : makeRedactor({ mode: 'mask-strings' });
    const once = clone(doc);
    r(once, true);
    const twice = clone(once);
    r(twice, true);
    expect(BSON.EJSON.stringify(twice)).toBe(BSON.EJSON.stringify(once));
  });

  test.prop([documentArb])('mode none leaves the document as it was', (doc) => {
    const copy = clone(doc);
    makeRedactor({ mode: 'none' })(copy, true);
    expect(BSON.EJSON.stringify(copy)).toBe(BSON.EJSON.stringify(clone(doc)));
  });
});
