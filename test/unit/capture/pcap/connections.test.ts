import { Readable } from 'node:stream';
import fc from 'fast-check';
import { BSON } from 'mongodb';
import { describe, expect, test } from 'vitest';
import { runPcapIngest } from '../../../../harness/capture/pcap/ingest-pcap.ts';
import type { OperationRecord } from '../../../../harness/model/record.ts';
import { buildOpMsg } from '../../../../harness/wire/index.ts';
import { documentArb } from '../../../helpers/wire-arbitraries.ts';
import { MemorySink } from '../../../helpers/memory-sink.ts';
import { conversation, tcpFrame, writePcap, type PacketIn } from '../../../fixtures/pcap/writer.ts';

async function ingest(packets: readonly PacketIn[]): Promise<OperationRecord[]> {
  const sink = new MemorySink();
  try {
    await runPcapIngest({ input: 'p', out: 'u', stream: Readable.from([writePcap(packets)]), openSink: async () => sink });
  } catch (err) {
    if ((err as { code?: string }).code !== 'MC_INGEST_NO_OPERATIONS') throw err;
  }
  return sink.records;
}

const view = (records: readonly OperationRecord[]) =>
  [...records].sort((a, b) => a.seq - b.seq).map((r) => BSON.EJSON.stringify({ cmd: r.cmd, id: r.wire?.requestId, command: r.command, reply: r.reply ?? null }, { relaxed: false }));

const exchangesArb = fc.array(fc.tuple(documentArb, documentArb), { minLength: 1, maxLength: 6 }).map((pairs) =>
  pairs.map(([q, a], i) => {
    const request = Buffer.concat(buildOpMsg({ requestId: i + 1, sections: [{ kind: 0, body: Buffer.from(BSON.serialize({ find: 'c', filter: q, $db: 'd' })) }] }));
    const reply = Buffer.concat(buildOpMsg({ requestId: 1000 + i, responseTo: i + 1, sections: [{ kind: 0, body: Buffer.from(BSON.serialize({ ...a, ok: 1 })) }] }));
    return { request, reply };
  }),
);

/** Direction of a frame of `conversation` (Ethernet, IPv4): by its source port. */
const fromClient = (p: PacketIn): boolean => p.data.readUInt16BE(34) !== 27017;

describe('connections: reassembly across both directions', () => {
  test('segments reordered within a direction and retransmitted later give the records of the clean capture', async () => {
    await fc.assert(
      fc.asyncProperty(exchangesArb, fc.integer({ min: 8, max: 400 }), fc.array(fc.nat(), { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 5 }), async (exchanges, mss, swaps, dups) => {
        const clean = conversation(exchanges, { mss });
        const messy = [...clean];
        // Swap neighbours of the same direction: the order a multi-queue NIC may deliver them in.
        for (const s of swaps) {
          const i = s % Math.max(1, messy.length - 1);
          if (i + 1 < messy.length && fromClient(messy[i]!) === fromClient(messy[i + 1]!)) [messy[i], messy[i + 1]] = [messy[i + 1]!, messy[i]!];
        }
        // Retransmissions show up again later, times and all.
        for (const d of dups) {
          const i = d % messy.length;
          messy.splice(Math.min(messy.length, i + 1 + (d % 4)), 0, messy[i]!);
        }
        expect(view(await ingest(messy))).toEqual(view(await ingest(clean)));
      }),
      { numRuns: 60 },
    );
  });

  test('never throws on arbitrary TCP segments to the server port, nor on arbitrary frames', async () => {
    const segmentArb = fc.record({
      fromClient: fc.boolean(),
      seq: fc.nat(0xffffffff),
      ack: fc.nat(0xffffffff),
      flags: fc.integer({ min: 0, max: 0x3f }),
      payload: fc.oneof(fc.uint8Array({ maxLength: 120 }).map((a) => Buffer.from(a)), exchangesArb.map((e) => e[0]!.request.subarray(0, 60))),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(segmentArb, { maxLength: 25 }), fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 5 }), async (segs, junk) => {
        const packets: PacketIn[] = segs.map((s, i) => ({
          linkType: 1,
          tsUs: 1_000_000 + i,
          data: tcpFrame('ethernet', s.fromClient ? { src: '10.0.0.2', dst: '10.0.0.1', srcPort: 5000, dstPort: 27017, seq: s.seq, ack: s.ack, flags: s.flags, payload: s.payload } : { src: '10.0.0.1', dst: '10.0.0.2', srcPort: 27017, dstPort: 5000, seq: s.seq, ack: s.ack, flags: s.flags, payload: s.payload }),
        }));
        for (const j of junk) packets.push({ linkType: 1, tsUs: 2_000_000, data: Buffer.from(j) });
        await ingest(packets);
      }),
      { numRuns: 150 },
    );
  });
});
