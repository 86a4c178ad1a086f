import fc from 'fast-check';
import { BSON, type Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { MAX_PENDING_REQUESTS, SessionDecoder } from '../../../../harness/capture/proxy/decoder.ts';
import { testDecoderContext } from '../../../helpers/decoder-context.ts';
import type { OperationRecord } from '../../../../harness/model/record.ts';
import { WireProtocolError } from '../../../../harness/errors.ts';
import { buildOpMsg, decodeBson, decodeBsonFast, decodePlainMessage, decodeSingleBodyOpMsg } from '../../../../harness/wire/index.ts';
import { documentArb, messageBytesArb } from '../../../helpers/wire-arbitraries.ts';

/*
 * The decoder's fast paths (decodeBsonFast for large documents, decodeSingleBodyOpMsg for
 * the common OP_MSG) must give exactly what the general paths give: the same documents,
 * the same errors, on valid and on damaged input.
 */

const canonical = (d: Document): string => BSON.EJSON.stringify(d, { relaxed: false });

/** What a decode gives, as text: the document's canonical EJSON, or the error's class and message. */
function outcome(decode: (b: Buffer) => Document, bytes: Buffer): string {
  try {
    return `ok ${canonical(decode(bytes))}`;
  } catch (err) {
    return `error ${(err as Error).constructor.name}: ${(err as Error).message}`;
  }
}

/** Large documents (over the fast path's threshold) of any shape, with strings of any text. */
const largeDocArb = fc
  .tuple(documentArb, fc.string({ minLength: 300, maxLength: 600, unit: 'binary' }), fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }), { maxLength: 4 }))
  .map(([doc, long, texts]) => ({ ...doc, long, texts, nested: { deep: [{ t: texts[0] ?? '' }] } }));

/** Serialises `doc`, whose string `marker` is then overwritten in place with `bytes` of the same length. */
function withBytesInString(doc: Document, marker: string, bytes: number[]): Buffer {
  const b = Buffer.from(BSON.serialize(doc));
  const at = b.indexOf(Buffer.from(marker, 'latin1'));
  expect(at).toBeGreaterThan(0);
  Buffer.from(bytes).copy(b, at);
  return b;
}

const FILLER = 'f'.repeat(400);

describe('decodeBsonFast', () => {
  it('gives what decodeBson gives on any document, small or large', () => {
    fc.assert(
      fc.property(fc.oneof(documentArb, largeDocArb), (doc) => {
        const bytes = Buffer.from(BSON.serialize(doc));
        expect(outcome(decodeBsonFast, bytes)).toBe(outcome(decodeBson, bytes));
      }),
      { numRuns: 200 },
    );
  });

  it('gives what decodeBson gives on damaged bytes: the same document or the same error', () => {
    fc.assert(
      fc.property(largeDocArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (doc, edits) => {
        const bytes = Buffer.from(BSON.serialize(doc));
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        expect(outcome(decodeBsonFast, bytes)).toBe(outcome(decodeBson, bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses invalid UTF-8 wherever the driver validates it, with the driver message', () => {
    const bad = [0xc3, 0x28]; // a two-byte lead followed by a non-continuation byte
    const cases: Document[] = [
      { s: `XX${FILLER}` },
      { a: [{ b: `XX${FILLER}` }] },
      { sym: new BSON.BSONSymbol(`XX${FILLER}`) },
      { code: new BSON.Code(`XX${FILLER}`) },
      { code: new BSON.Code('function () {}', { v: `XX${FILLER}` }) },
      { ref: { $ref: `XX${FILLER}`, $id: new BSON.ObjectId() } },
      { ref: new BSON.DBRef('things', new BSON.ObjectId(), undefined, { note: `XX${FILLER}` }) },
    ];
    for (const doc of cases) {
      const bytes = withBytesInString(doc, 'XX', bad);
      const fast = outcome(decodeBsonFast, bytes);
      expect(fast).toMatch(/^error BSONError: Invalid UTF-8/);
      expect(fast).toBe(outcome(decodeBson, bytes));
    }
  });

  it('keeps a U+FFFD that was really sent, and names and regular expressions the driver does not validate', () => {
    const cases: Document[] = [{ s: `\uFFFD${FILLER}` }, { [`k\uFFFD`]: FILLER }, { r: new BSON.BSONRegExp(`\uFFFD${FILLER}`, 'i') }];
    for (const doc of cases) {
      const bytes = Buffer.from(BSON.serialize(doc));
      expect(outcome(decodeBsonFast, bytes)).toBe(outcome(decodeBson, bytes));
      expect(outcome(decodeBsonFast, bytes)).toMatch(/^ok /);
    }
    const invalidName = withBytesInString({ XX: FILLER }, 'XX', [0xc3, 0x28]);
    expect(outcome(decodeBsonFast, invalidName)).toBe(outcome(decodeBson, invalidName));
  });
});

describe('decodeSingleBodyOpMsg', () => {
  const plain = (b: Buffer) => {
    const d = decodePlainMessage(b);
    return d instanceof WireProtocolError ? d : d;
  };

  it('gives what decodePlainMessage gives for every message it takes, and takes every single-body OP_MSG without a checksum', () => {
    fc.assert(
      fc.property(messageBytesArb, (bytes) => {
        const lean = decodeSingleBodyOpMsg(bytes);
        const general = plain(bytes);
        const single = bytes.readInt32LE(12) === 2013 && (bytes.readUInt32LE(16) & 1) === 0 && bytes[20] === 0 && bytes.readInt32LE(21) === bytes.length - 21;
        expect(lean !== undefined).toBe(single);
        if (lean !== undefined) expect(lean).toEqual(general);
      }),
      { numRuns: 300 },
    );
  });

  it('on damaged bytes takes only what the general path decodes, and decodes it the same', () => {
    fc.assert(
      fc.property(
        messageBytesArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -8, max: 8 }),
        (bytes, edits, trim) => {
          let b = Buffer.from(bytes);
          for (const [at, value] of edits) b[at % b.length] = value;
          if (trim < 0) b = b.subarray(0, Math.max(0, b.length + trim));
          else if (trim > 0) b = Buffer.concat([b, Buffer.alloc(trim)]);
          const lean = decodeSingleBodyOpMsg(b);
          if (lean !== undefined) expect(lean).toEqual(plain(b));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('SessionDecoder: requests whose reply never comes', () => {
  function decoderFor() {
    const records: OperationRecord[] = [];
    return { decoder: new SessionDecoder(testDecoderContext(records), 'c1', '10.0.0.5:50000'), records };
  }
  const msg = (requestId: number, body: Document, responseTo = 0) =>
    Buffer.concat(buildOpMsg({ requestId, responseTo, sections: [{ kind: 0, body: Buffer.from(BSON.serialize(body)) }] }));

  it(`keeps at most ${MAX_PENDING_REQUESTS} per connection: the oldest is recorded without its reply, the others still pair`, () => {
    const { decoder, records } = decoderFor();
    const extra = 3;
    for (let id = 1; id <= MAX_PENDING_REQUESTS + extra; id++) decoder.decode(msg(id, { ping: 1, n: id, $db: 'admin' }), id, true);
    // The three oldest went out unpaired, oldest first, as they would at the connection's end.
    expect(records.map((r) => [r.wire?.requestId, r.dur])).toEqual([
      [1, null],
      [2, null],
      [3, null],
    ]);
    // A late reply to an evicted request pairs nothing; the newest request still pairs.
    decoder.decode(msg(9001, { ok: 1 }, 2), 10_000, false);
    decoder.decode(msg(9002, { ok: 1 }, MAX_PENDING_REQUESTS + extra), 10_001, false);
    expect(records).toHaveLength(extra + 1);
    expect(records.at(-1)).toMatchObject({ dur: 10_001 - (MAX_PENDING_REQUESTS + extra), wire: { requestId: MAX_PENDING_REQUESTS + extra } });
    void decoder.close();
    expect(records).toHaveLength(MAX_PENDING_REQUESTS + extra);
    expect(new Set(records.map((r) => r.wire?.requestId)).size).toBe(MAX_PENDING_REQUESTS + extra);
  });
});
