import { fc, test as propTest } from '@fast-check/vitest';
import { BSON, type Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { SessionDecoder } from '../../../../harness/capture/proxy/decoder.ts';
import { testDecoderContext } from '../../../helpers/decoder-context.ts';
import { ReplyRenderer } from '../../../../harness/capture/proxy/prerender.ts';
import { canonicalTextOf, PrerenderedReply } from '../../../../harness/model/prerendered.ts';
import type { OperationRecord } from '../../../../harness/model/record.ts';
import { encodeRecordLine } from '../../../../harness/store/line-codec.ts';
import { buildOpMsg, MSG_FLAGS } from '../../../../harness/wire/index.ts';
import { bsonDocument } from '../../store/arbitraries.ts';

/*
 * Full replies recorded as text without being decoded: every record line must be the one
 * the decoding path writes, and the reply's document must still be there when read.
 */

const bson = (d: Document) => Buffer.from(BSON.serialize(d));
const msg = (requestId: number, body: Document, responseTo = 0, flags = 0) => Buffer.concat(buildOpMsg({ requestId, responseTo, flags, sections: [{ kind: 0, body: bson(body) }] }));

function record(reply: Document, rendered: boolean, options: { exhaust?: Document[]; request?: Document } = {}): OperationRecord {
  const records: OperationRecord[] = [];
  const d = new SessionDecoder(testDecoderContext(records, rendered ? { renderer: new ReplyRenderer() } : {}), 'c1', '10.0.0.1:4000');
  d.decode(msg(7, options.request ?? { find: 'orders', filter: {}, $db: 'shop' }), 1_000, true);
  let responseTo = 7;
  let id = 100;
  for (const more of options.exhaust ?? []) {
    d.decode(msg(id, more, responseTo, MSG_FLAGS.MORE_TO_COME), 1_100, false, 1_100);
    responseTo = id++;
  }
  d.decode(msg(id, reply, responseTo), 1_200, false, 1_300);
  expect(records).toHaveLength(1);
  return records[0]!;
}

describe('replies recorded as text (ReplyRenderer)', () => {
  propTest.prop([bsonDocument], { numRuns: 300 })('write the very line the decoded reply writes, and keep the document readable', (doc) => {
    const reply = { ...doc, ok: new BSON.Double(1) };
    const plain = record(reply, false);
    const rendered = record(reply, true);
    expect(encodeRecordLine(rendered)).toBe(encodeRecordLine(plain));
    // Read after the line: the document the decoding path holds.
    expect(BSON.serialize(rendered.reply!.mode === 'full' ? rendered.reply!.doc : {})).toEqual(BSON.serialize(plain.reply!.mode === 'full' ? plain.reply!.doc : {}));
    expect(rendered.error).toEqual(plain.error);
  });

  it('renders a plain find reply, and an exhaust stream by its last reply', () => {
    const last = { cursor: { id: BSON.Long.ZERO, ns: 'shop.orders', nextBatch: [{ n: new BSON.Int32(2) }] }, ok: new BSON.Double(1) };
    const r = record(last, true, { exhaust: [{ cursor: { id: BSON.Long.fromNumber(5), ns: 'shop.orders', nextBatch: [{ n: new BSON.Int32(1) }] }, ok: new BSON.Double(1) }] });
    expect(r.reply).toBeInstanceOf(PrerenderedReply);
    expect(r.wire?.replies).toBe(2);
    expect(encodeRecordLine(r)).toBe(encodeRecordLine(record(last, false, { exhaust: [{ cursor: { id: BSON.Long.fromNumber(5), ns: 'shop.orders', nextBatch: [{ n: new BSON.Int32(1) }] }, ok: new BSON.Double(1) }] })));
  });

  it('decodes, as before, the replies that carry an error or a credential', () => {
    const cases: Document[] = [
      { ok: new BSON.Double(0), errmsg: 'no', code: new BSON.Int32(13), codeName: 'Unauthorized' },
      { n: new BSON.Int32(0), writeErrors: [{ index: new BSON.Int32(0), code: new BSON.Int32(11000), errmsg: 'dup' }], ok: new BSON.Double(1) },
      { n: new BSON.Int32(1), writeConcernError: { code: new BSON.Int32(64), errmsg: 'wc' }, ok: new BSON.Double(1) },
      { $err: 'legacy', code: new BSON.Int32(2) },
      { isWritablePrimary: true, speculativeAuthenticate: { payload: new BSON.Binary(Buffer.from('secret')) }, ok: new BSON.Double(1) },
    ];
    for (const reply of cases) {
      const r = record(reply, true);
      expect(canonicalTextOf(r.reply!)).toBeUndefined();
      expect(encodeRecordLine(r)).toBe(encodeRecordLine(record(reply, false)));
    }
    expect(record(cases[0]!, true).error).toEqual({ code: 13, codeName: 'Unauthorized', message: 'no' });
    expect(JSON.stringify(record(cases[4]!, true).reply)).not.toContain('speculativeAuthenticate');
  });

  it('drops the text once the document is read, so a changed document is what gets written', () => {
    const r = record({ cursor: { id: BSON.Long.ZERO, ns: 'shop.orders', firstBatch: [] }, ok: new BSON.Double(1) }, true);
    const reply = r.reply as PrerenderedReply;
    expect(canonicalTextOf(reply)).toBeDefined();
    reply.doc.note = 'changed';
    expect(canonicalTextOf(reply)).toBeUndefined();
    expect(encodeRecordLine(r)).toContain('"note":"changed"');
    expect(JSON.parse(JSON.stringify(reply))).toEqual({ mode: 'full', doc: expect.objectContaining({ note: 'changed' }) });
  });

  propTest.prop([bsonDocument, fc.constantFrom('find', 'aggregate', 'insert', 'update', 'count', 'ping', 'getMore')], { numRuns: 300 })(
    'requests too: the same line, name, database and collection as the decoding path, and the same document when read',
    (doc, cmd) => {
      const request = { [cmd]: 'orders', ...doc, $db: 'shop' };
      const reply = { ok: new BSON.Double(1) };
      const plain = record(reply, false, { request });
      const rendered = record(reply, true, { request });
      expect(encodeRecordLine(rendered)).toBe(encodeRecordLine(plain));
      expect([rendered.cmd, rendered.db, rendered.coll]).toEqual([plain.cmd, plain.db, plain.coll]);
      expect(BSON.serialize(rendered.command)).toEqual(BSON.serialize(plain.command));
    },
  );

  it('renders a plain command, and leaves the handshake and credentials to the decoding path', () => {
    const reply = { ok: new BSON.Double(1) };
    const find = record(reply, true, { request: { find: 'orders', filter: { n: new BSON.Int32(1) }, $db: 'shop' } });
    expect(canonicalTextOf(find.command)).toBeDefined();
    expect([find.cmd, find.db, find.coll]).toEqual(['find', 'shop', 'orders']);
    const cases: Document[] = [
      { hello: new BSON.Int32(1), client: { application: { name: 'billing' } }, $db: 'admin' },
      { ping: new BSON.Int32(1), speculativeAuthenticate: { mechanism: 'SCRAM-SHA-256' }, $db: 'admin' },
    ];
    for (const request of cases) {
      const r = record(reply, true, { request });
      expect(canonicalTextOf(r.command)).toBeUndefined();
      expect(encodeRecordLine(r)).toBe(encodeRecordLine(record(reply, false, { request })));
    }
    expect(record(reply, true, { request: cases[0] }).app).toBe('billing');
    expect(JSON.stringify(record(reply, true, { request: cases[1] }).command)).not.toContain('speculativeAuthenticate');
  });

  it('a rendered command is its document to any reader, and a changed one is written as changed', () => {
    const request = { find: 'orders', filter: { n: new BSON.Int32(1) }, limit: new BSON.Int32(2), $db: 'shop' };
    const r = record({ ok: new BSON.Double(1) }, true, { request });
    expect(Object.keys(r.command)).toEqual(['find', 'filter', 'limit', '$db']);
    expect(canonicalTextOf(r.command)).toBeUndefined(); // read: the text is gone
    expect(r.command).toEqual(request);
    expect('filter' in r.command).toBe(true);
    const r2 = record({ ok: new BSON.Double(1) }, true, { request });
    delete r2.command.limit;
    expect(encodeRecordLine(r2)).not.toContain('"limit"');
    expect(JSON.parse(JSON.stringify(r2.command))).toEqual({ find: 'orders', filter: { n: 1 }, $db: 'shop' });
  });

  propTest.prop([fc.uint8Array({ maxLength: 120 })], { numRuns: 300 })('never throws on a damaged reply body, and renders only what the driver reads', (garbage) => {
    const renderer = new ReplyRenderer();
    const out = renderer.render(Buffer.from(garbage));
    if (out !== undefined) expect(() => BSON.deserialize(garbage)).not.toThrow();
  });
});
