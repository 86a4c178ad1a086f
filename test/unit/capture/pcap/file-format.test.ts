import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CaptureFileParser, type CapturedPacket, type FileIssue } from '../../../../harness/capture/pcap/file-format.ts';
import { writePcap, writePcapng, type PacketIn } from '../../../fixtures/pcap/writer.ts';

function parse(bytes: Buffer, cuts: readonly number[] = []): { packets: CapturedPacket[]; issues: FileIssue[]; cut: string | undefined; parser: CaptureFileParser } {
  const packets: CapturedPacket[] = [];
  const issues: FileIssue[] = [];
  const parser = new CaptureFileParser(
    (p) => packets.push({ ...p, data: Buffer.from(p.data) }),
    (i) => issues.push(i),
  );
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    if (c <= at || c >= bytes.length) continue;
    parser.push(bytes.subarray(at, c));
    at = c;
  }
  parser.push(bytes.subarray(at));
  return { packets, issues, cut: parser.end(), parser };
}

const packetArb = (linkType: fc.Arbitrary<number>): fc.Arbitrary<PacketIn> =>
  fc.record({
    linkType,
    // Whole microseconds from 1970 to 2100.
    tsUs: fc.integer({ min: 0, max: 4_102_444_800 }).chain((s) => fc.integer({ min: 0, max: 999_999 }).map((us) => s * 1_000_000 + us)),
    data: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  });

const cutsArb = fc.array(fc.nat({ max: 5000 }), { maxLength: 8 });

describe('pcap and pcapng reader', () => {
  test('reads back every packet a pcap writer wrote (µs and ns, either byte order, any chunking)', () => {
    fc.assert(
      fc.property(fc.array(packetArb(fc.constantFrom(1, 113, 276, 0, 101)), { maxLength: 12 }), fc.boolean(), fc.boolean(), cutsArb, (packets, bigEndian, nanoseconds, cuts) => {
        const linkType = packets[0]?.linkType ?? 1;
        const same = packets.map((p) => ({ ...p, linkType }));
        const { packets: got, issues, cut } = parse(writePcap(same, { bigEndian, nanoseconds }), cuts);
        expect(issues).toEqual([]);
        expect(cut).toBeUndefined();
        expect(got.map((p) => [p.linkType, p.tsUs, p.data.toString('hex'), p.origLen])).toEqual(same.map((p) => [linkType, p.tsUs, p.data.toString('hex'), p.data.length]));
        expect(got.map((p) => p.index)).toEqual(same.map((_, i) => i + 1));
      }),
      { numRuns: 150 },
    );
  });

  test('reads back every packet a pcapng writer wrote (blocks, resolutions, interfaces per link type, unknown blocks)', () => {
    fc.assert(
      fc.property(
        fc.array(packetArb(fc.constantFrom(1, 113, 276)), { maxLength: 10 }),
        fc.boolean(),
        fc.constantFrom(undefined, 6, 9, 3),
        fc.constantFrom('epb' as const, 'opb' as const),
        fc.boolean(),
        cutsArb,
        (packets, bigEndian, tsresol, block, noise, cuts) => {
          const { packets: got, issues, cut } = parse(writePcapng(packets, { bigEndian, ...(tsresol !== undefined ? { tsresol } : {}), block, noise }), cuts);
          expect(issues).toEqual([]);
          expect(cut).toBeUndefined();
          // Millisecond resolution keeps whole milliseconds only.
          const expectTs = (us: number) => (tsresol === 3 ? Math.floor(us / 1000) * 1000 : us);
          expect(got.map((p) => [p.linkType, p.tsUs, p.data.toString('hex')])).toEqual(packets.map((p) => [p.linkType, expectTs(p.tsUs), p.data.toString('hex')]));
        },
      ),
      { numRuns: 150 },
    );
  });

  test('simple packet blocks take the previous timestamp and their original length', () => {
    const packets = [{ linkType: 1, tsUs: 5, data: Buffer.from('abcdef') }];
    const { packets: got } = parse(writePcapng(packets, { block: 'spb' }));
    expect(got).toHaveLength(1);
    expect(got[0]!.data.toString()).toBe('abcdef');
  });

  test('a file cut inside a record is reported as cut after the last whole packet', () => {
    const file = writePcap([
      { linkType: 1, tsUs: 1, data: Buffer.alloc(50, 1) },
      { linkType: 1, tsUs: 2, data: Buffer.alloc(50, 2) },
    ]);
    const { packets, cut, issues } = parse(file.subarray(0, file.length - 10));
    expect(packets).toHaveLength(1);
    expect(issues).toEqual([]);
    expect(cut).toMatch(/ends 56 bytes into a packet record after packet 1/);
  });

  test('a file that is no capture is one fatal issue naming the magic', () => {
    const { issues, packets } = parse(Buffer.from('hello world, not a pcap'));
    expect(packets).toEqual([]);
    expect(issues).toEqual([expect.objectContaining({ code: 'MC_INGEST_PCAP_NOT_A_CAPTURE', fatal: true, at: 0 })]);
    expect(issues[0]!.message).toMatch(/magic 0x68656c6c/);
  });

  test('a record length past the limit stops the reader with the byte offset', () => {
    const file = writePcap([{ linkType: 1, tsUs: 1, data: Buffer.alloc(4) }]);
    file.writeUInt32LE(0x7fffffff, 24 + 8);
    const { issues } = parse(file);
    expect(issues).toEqual([expect.objectContaining({ code: 'MC_INGEST_PCAP_CORRUPT', at: 24, fatal: true })]);
  });

  test('never throws on arbitrary bytes, nor on valid files with bytes changed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), cutsArb, (bytes, cuts) => {
        parse(Buffer.from(bytes), cuts);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.array(packetArb(fc.constantFrom(1, 113)), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        cutsArb,
        (packets, ng, edits, cuts) => {
          const file = ng ? writePcapng(packets) : writePcap(packets.map((p) => ({ ...p, linkType: 1 })));
          for (const [at, v] of edits) file[at % file.length] = v;
          const { packets: got } = parse(file, cuts);
          for (const p of got) expect(p.data.length).toBeLessThanOrEqual(file.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
