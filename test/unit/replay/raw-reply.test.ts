import { fc, test } from '@fast-check/vitest';
import { BSON, type Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { rawDigest, rawOkIsZero } from '../../../harness/replay/raw-reply.ts';
import { OutcomeDigest, stripVolatile } from '../../../harness/replay/digest.ts';
import { OutcomeLog, replyOutcome } from '../../../harness/replay/outcomes.ts';
import { LogicalCursor } from '../../../harness/replay/cursors.ts';
import type { OperationOutcome } from '../../../harness/model/run/outcome.ts';
import type { OperationRecord } from '../../../harness/model/record.ts';
import type { SendResult } from '../../../harness/replay/target.ts';

/** Replies decoded as the replayer decodes them (wire-pool.ts). */
const DECODE = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const;

const key = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !k.includes('\0'));
/** Every BSON type a server sends, typed as the replayer decodes them. */
const leaf = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((n) => new BSON.Int32(n)),
  fc.double({ noNaN: true }).map((d) => new BSON.Double(d)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((b) => BSON.Long.fromBigInt(b)),
  fc.string({ maxLength: 40 }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 20 }).map((b) => new BSON.Binary(b, 0)),
  fc.uint8Array({ minLength: 12, maxLength: 12 }).map((b) => new BSON.ObjectId(b)),
  fc.integer({ min: 0, max: 4_000_000_000_000 }).map((ms) => new Date(ms)),
  fc.tuple(fc.nat(), fc.nat()).map(([t, i]) => new BSON.Timestamp({ t, i })),
  fc.constantFrom('1.5', '-0', 'NaN', '12345678901234567890').map((d) => BSON.Decimal128.fromString(d)),
  fc.constantFrom(new BSON.BSONRegExp('a.*b', 'i'), new BSON.MinKey(), new BSON.MaxKey(), new BSON.Code('x')),
);
const docArb: fc.Arbitrary<Document> = fc.letrec((tie) => ({
  doc: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, leaf, tie('doc'), fc.array(leaf, { maxLength: 3 })), { maxKeys: 5 }),
})).doc as fc.Arbitrary<Document>;

/** A reply as a server shapes it: fields in any order, volatile ones among them, a cursor with a batch. */
const replyArb = (batch: 'firstBatch' | 'nextBatch') =>
  fc
    .record({
      extra: docArb,
      docs: fc.array(docArb, { maxLength: 6 }),
      id: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      ns: fc.string({ maxLength: 12 }),
      order: fc.array(fc.nat(), { minLength: 5, maxLength: 5 }),
    })
    .map(({ extra, docs, id, ns, order }) => {
      const entries: [string, unknown][] = [
        ['cursor', { [batch]: docs, id: BSON.Long.fromBigInt(id), ns }],
        ['ok', new BSON.Double(1)],
        ['$clusterTime', { clusterTime: new BSON.Timestamp({ t: 1, i: 2 }) }],
        ['operationTime', new BSON.Timestamp({ t: 3, i: 4 })],
        ...Object.entries(extra).filter(([k]) => !['cursor', 'ok', '$clusterTime', 'operationTime'].includes(k)),
      ];
      const sorted = entries.map((e, i) => [order[i % order.length]! + i / 100, e] as const).sort((a, b) => a[0] - b[0]);
      return { reply: Object.fromEntries(sorted.map(([, e]) => e)) as Document, docs };
    });

describe('digests read from reply bytes', () => {
  test.prop([docArb], { numRuns: 200 })('are the bytes digest.ts serialises for the decoded reply, volatile fields left out', (d) => {
    const body = BSON.serialize({ ...d, operationTime: new BSON.Timestamp({ t: 1, i: 1 }), ok: new BSON.Double(1) });
    const r = rawDigest(body)!;
    expect(r).toBeDefined();
    expect(Buffer.from(r.stripped)).toEqual(Buffer.from(BSON.serialize(stripVolatile(BSON.deserialize(body, DECODE)))));
  });

  test.prop([replyArb('firstBatch')], { numRuns: 150 })(
    'for a cursor opener: the reply with its first batch emptied and no cursor id, then each document as BSON.serialize gives it',
    ({ reply }) => {
      const body = BSON.serialize(reply);
      const r = rawDigest(body, 'firstBatch')!;
      const decoded = BSON.deserialize(body, DECODE);
      const cursor = decoded.cursor as Document;
      expect(Buffer.from(r.stripped)).toEqual(Buffer.from(BSON.serialize(stripVolatile({ ...decoded, cursor: { ...cursor, firstBatch: [] } }))));
      expect(r.docs.map((x) => Buffer.from(x))).toEqual((cursor.firstBatch as Document[]).map((x) => Buffer.from(BSON.serialize(x))));
      const id = cursor.id as BSON.Long;
      expect(r.cursorId === null ? id.isZero() : r.cursorId.equals(id)).toBe(true);
      expect(r.ns).toBe(cursor.ns);
    },
  );

  test.prop([fc.uint8Array({ maxLength: 200 }), fc.constantFrom(undefined, 'firstBatch' as const, 'nextBatch' as const)], { numRuns: 300 })(
    'never throw on garbage: a result or undefined (then the reply is decoded)',
    (bytes, batch) => {
      expect(() => rawDigest(bytes, batch)).not.toThrow();
      expect(() => rawOkIsZero(bytes)).not.toThrow();
    },
  );

  test.prop([fc.oneof(fc.integer({ min: -3, max: 3 }).map((n) => new BSON.Int32(n)), fc.constantFrom(0, 1, -0).map((n) => new BSON.Double(n)), fc.constantFrom(0n, 1n).map((b) => BSON.Long.fromBigInt(b)), fc.boolean(), fc.constant(null)), docArb], { numRuns: 100 })(
    'tell an `ok: 0` reply as target.ts does from the decoded one',
    (ok, rest) => {
      const body = BSON.serialize({ ...rest, ok });
      const v = (BSON.deserialize(body, DECODE).ok as { valueOf(): unknown } | null) ?? null;
      const n = typeof v === 'object' && v !== null ? Number(v.valueOf()) : Number.NaN;
      expect(rawOkIsZero(body)).toBe(n === 0);
    },
  );
});

function rec(command: Document, reply?: Document): OperationRecord {
  return { seq: 1, t: 0, dur: 10, conn: 'c', db: 'd', coll: 'x', cmd: Object.keys(command)[0]!, op: 'OP_MSG', command, ...(reply ? { reply: { mode: 'full' as const, doc: reply } } : {}) };
}

/** A wire reply as target.ts hands it on: its bytes, decoded when read. */
function wireOk(body: Uint8Array): Extract<SendResult, { kind: 'ok' }> {
  let doc: Document | undefined;
  return {
    kind: 'ok',
    raw: body,
    get reply() {
      return (doc ??= BSON.deserialize(body, DECODE));
    },
    sentAt: 0,
    endAt: 1,
  };
}

function emitted(parts: Parameters<OutcomeLog['emit']>[4]): { outcome: OperationOutcome; differences: number } {
  const out: OperationOutcome[] = [];
  const log = new OutcomeLog(['a', 'b'], true, (o) => void out.push(o));
  log.emit(rec({ find: 'x' }), 'shape', { find: 'x' }, () => undefined, parts);
  return { outcome: out[0]!, differences: log.counts.differences };
}

describe('outcomes of replies read as bytes', () => {
  it('keeps nothing but digests where targets agree, and decodes both replies in full where they differ', () => {
    const same = BSON.serialize({ n: new BSON.Int32(1), ok: new BSON.Double(1) });
    const other = BSON.serialize({ n: new BSON.Int32(2), ok: new BSON.Double(1) });
    const agree = emitted([replyOutcome(wireOk(same), 5), replyOutcome(wireOk(same), 6)]);
    expect(agree.differences).toBe(0);
    expect(Object.keys(agree.outcome.targets.a!)).toEqual(['status', 'digest', 'latencyUs']);
    const d = new OutcomeDigest();
    d.reply(BSON.deserialize(same, DECODE));
    expect(agree.outcome.targets.a!.digest).toBe(d.hex());
    const differ = emitted([replyOutcome(wireOk(same), 5), replyOutcome(wireOk(other), 6)]);
    expect(differ.differences).toBe(1);
    expect(Object.keys(differ.outcome.targets.b!)).toEqual(['status', 'reply', 'digest', 'latencyUs']);
    expect(differ.outcome.targets.b!.reply).toEqual(BSON.deserialize(other, DECODE));
  });

  it('tells two replies alike when only their bytes differ (a legacy `undefined` field, which the driver leaves out when it writes)', () => {
    const withUndefined = Buffer.from(BSON.serialize({ v: null, ok: new BSON.Double(1) }));
    // Type 0x0a (null) → 0x06 (undefined): decoded and serialised again, the field is gone.
    withUndefined[4] = 0x06;
    const decodedSide: Extract<SendResult, { kind: 'ok' }> = { kind: 'ok', reply: { ok: new BSON.Double(1) }, sentAt: 0, endAt: 1 };
    const r = emitted([replyOutcome(wireOk(withUndefined), 5), replyOutcome(decodedSide, 6)]);
    expect(r.differences).toBe(0);
    expect(r.outcome.targets.a!.digest).toBe(r.outcome.targets.b!.digest);
  });

  it('gives a cursor the same digest and full result from bytes as from the decoded replies', () => {
    const docs = [{ _id: new BSON.Int32(1), s: 'x' }, { _id: new BSON.Int32(2), s: 'y' }];
    const opener = BSON.serialize({ cursor: { firstBatch: [docs[0]], id: BSON.Long.fromNumber(9), ns: 'd.x' }, ok: new BSON.Double(1) });
    const more = BSON.serialize({ cursor: { nextBatch: [docs[1]], id: BSON.Long.ZERO, ns: 'd.x' }, ok: new BSON.Double(1) });
    const rw = { db: 'd', command: { find: 'x' }, notes: [] };
    const c = new LogicalCursor(rec({ find: 'x' }), { find: 'x' }, 'shape', 100);
    c.opened(rw, wireOk(opener), 5);
    c.opened(rw, { kind: 'ok', reply: BSON.deserialize(opener, DECODE), sentAt: 0, endAt: 1 }, 5);
    expect(c.sides[0]!.live?.toNumber()).toBe(9);
    expect(c.sides[0]!.coll).toBe('x');
    c.gotMore(0, wireOk(more), 1);
    c.gotMore(1, { kind: 'ok', reply: BSON.deserialize(more, DECODE), sentAt: 0, endAt: 1 }, 1);
    expect(c.open).toBe(false);
    const out = c.outcomes(['a', 'b']);
    expect(out.a!.digest).toBe(out.b!.digest);
    expect(out.a).toEqual(out.b);
    expect(out.a!.docs).toEqual(docs);
  });
});
