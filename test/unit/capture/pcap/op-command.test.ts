import { Readable } from 'node:stream';
import fc from 'fast-check';
import { BSON, type Document } from 'mongodb';
import { describe, expect, test } from 'vitest';
import { runPcapIngest } from '../../../../harness/capture/pcap/ingest-pcap.ts';
import { OP_COMMAND, OP_COMMANDREPLY, opCommandAsOpMsg } from '../../../../harness/wire/op-command.ts';
import { buildHeader, decodePlainMessage, replyToDocument, requestToCommand } from '../../../../harness/wire/index.ts';
import { MemorySink } from '../../../helpers/memory-sink.ts';
import { conversation, writePcap } from '../../../fixtures/pcap/writer.ts';

const bson = (d: Document): Buffer => Buffer.from(BSON.serialize(d));

/** OP_COMMAND as the 3.2 shell sent it; `argsFirst` picks the order of the two documents. */
function opCommand(requestId: number, db: string, name: string, args: Document, metadata: Document, inputs: Document[], argsFirst: boolean): Buffer {
  const body = Buffer.concat([Buffer.from(`${db}\0${name}\0`), ...(argsFirst ? [bson(args), bson(metadata)] : [bson(metadata), bson(args)]), ...inputs.map(bson)]);
  return Buffer.concat([buildHeader(16 + body.length, requestId, 0, OP_COMMAND), body]);
}

function opCommandReply(requestId: number, responseTo: number, reply: Document, metadata: Document, replyFirst: boolean): Buffer {
  const body = Buffer.concat(replyFirst ? [bson(reply), bson(metadata)] : [bson(metadata), bson(reply)]);
  return Buffer.concat([buildHeader(16 + body.length, requestId, responseTo, OP_COMMANDREPLY), body]);
}

describe('OP_COMMAND and OP_COMMANDREPLY', () => {
  test('become the OP_MSG command and reply they stand for, whatever the order of their two documents', () => {
    for (const argsFirst of [true, false]) {
      const m = opCommandAsOpMsg(opCommand(7, 'shop', 'insert', { insert: 'orders', ordered: true }, { $ssm: { $secondaryOk: true } }, [{ _id: 1 }, { _id: 2 }], argsFirst))!;
      const d = decodePlainMessage(m);
      if (d instanceof Error) throw d;
      const c = requestToCommand(d.message);
      if (c instanceof Error) throw c;
      expect(d.message.header.requestId).toBe(7);
      expect([c.db, c.cmd, c.coll]).toEqual(['shop', 'insert', 'orders']);
      expect(BSON.EJSON.serialize(c.command)).toMatchObject({ insert: 'orders', documents: [{ _id: 1 }, { _id: 2 }], $db: 'shop' });
      const r = opCommandAsOpMsg(opCommandReply(8, 7, { n: 2, ok: 1 }, { $gleStats: {} }, argsFirst))!;
      const rd = decodePlainMessage(r);
      if (rd instanceof Error) throw rd;
      expect(rd.isReply).toBe(true);
      expect(BSON.EJSON.serialize(replyToDocument(rd.message) as Document)).toEqual({ n: 2, ok: 1 });
    }
  });

  test('never throw on arbitrary bytes behind their opcodes', () => {
    fc.assert(
      fc.property(fc.constantFrom(OP_COMMAND, OP_COMMANDREPLY), fc.uint8Array({ maxLength: 100 }), (op, bytes) => {
        const m = Buffer.concat([buildHeader(16 + bytes.length, 1, 0, op), Buffer.from(bytes)]);
        const out = opCommandAsOpMsg(m);
        if (out) expect(decodePlainMessage(out)).not.toBeInstanceOf(Error);
      }),
      { numRuns: 300 },
    );
  });

  test('a 3.2-era capture is recorded like any command', async () => {
    const request = opCommand(11, 'shop', 'find', { find: 'orders', filter: { _id: 1 } }, {}, [], true);
    const reply = opCommandReply(12, 11, { cursor: { id: BSON.Long.fromNumber(0), ns: 'shop.orders', firstBatch: [] }, ok: 1 }, {}, false);
    const sink = new MemorySink();
    const result = await runPcapIngest({ input: 'old', out: 'u', stream: Readable.from([writePcap(conversation([{ request, reply }]))]), openSink: async () => sink });
    expect(sink.records.map((r) => [r.cmd, r.db, r.coll, r.wire?.requestId, r.reply?.mode])).toEqual([['find', 'shop', 'orders', 11, 'full']]);
    expect(result.quality).toMatchObject({ pairs: 1, undecodable: 0, desyncs: 0 });
  });
});
