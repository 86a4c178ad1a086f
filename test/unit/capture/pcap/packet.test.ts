import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeFrame, ipv6Text } from '../../../../harness/capture/pcap/packet.ts';
import { LINK_TYPE_OF, tcpFrame, type LinkLayer } from '../../../fixtures/pcap/writer.ts';

const LINKS: LinkLayer[] = ['ethernet', 'ethernet-vlan', 'sll', 'sll2', 'null', 'null-be', 'loop', 'raw'];
const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
const v6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));

describe('link layers, IP and TCP', () => {
  test('every link layer, IPv4 and IPv6: the segment comes back with its addresses, ports, numbers and payload', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LINKS),
        fc.boolean(),
        fc.tuple(v4, v4),
        fc.tuple(v6, v6),
        fc.nat(65535),
        fc.nat(65535),
        fc.nat(0xffffffff),
        fc.nat(0xffffffff),
        fc.uint8Array({ maxLength: 100 }),
        (link, six, [a4, b4], [a6, b6], sp, dp, seq, ack, payload) => {
          const [src, dst] = six ? [a6, b6] : [a4, b4];
          const frame = tcpFrame(link, { src, dst, srcPort: sp, dstPort: dp, seq, ack, flags: 0x18, payload: Buffer.from(payload) });
          const s = decodeFrame(LINK_TYPE_OF[link], frame, frame.length);
          if (typeof s === 'string') throw new Error(s);
          expect([s.srcPort, s.dstPort, s.seq, s.ack, s.flags]).toEqual([sp, dp, seq, ack, 0x18]);
          expect(s.payload.toString('hex')).toBe(Buffer.from(payload).toString('hex'));
          expect(s.payloadLength).toBe(payload.length);
          if (!six) expect([s.src, s.dst]).toEqual([src, dst]);
          else expect(s.src.split(':').length).toBeLessThanOrEqual(8);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('IPv6 addresses are written as RFC 5952 text', () => {
    const b = Buffer.alloc(16);
    b[15] = 1;
    expect(ipv6Text(b, 0)).toBe('::1');
    const c = Buffer.from('20010db8000000000001000000000001', 'hex');
    expect(ipv6Text(c, 0)).toBe('2001:db8::1:0:0:1');
  });

  test('a frame cut by the snap length keeps the payload length the IP header announces', () => {
    const frame = tcpFrame('ethernet', { src: '1.2.3.4', dst: '5.6.7.8', srcPort: 1, dstPort: 2, seq: 7, payload: Buffer.alloc(1000, 9) });
    const s = decodeFrame(1, frame.subarray(0, 100), frame.length);
    if (typeof s === 'string') throw new Error(s);
    expect(s.payload.length).toBe(100 - 54);
    expect(s.payloadLength).toBe(1000);
  });

  test('not TCP, not IP, fragments and unknown link types are reasons, not exceptions', () => {
    const frame = tcpFrame('ethernet', { src: '1.2.3.4', dst: '5.6.7.8', srcPort: 1, dstPort: 2, seq: 7 });
    const udp = Buffer.from(frame);
    udp[14 + 9] = 17;
    expect(decodeFrame(1, udp, udp.length)).toBe('not-tcp');
    const frag = Buffer.from(frame);
    frag.writeUInt16BE(0x2000, 14 + 6);
    expect(decodeFrame(1, frag, frag.length)).toBe('fragment');
    const arp = Buffer.from(frame);
    arp.writeUInt16BE(0x0806, 12);
    expect(decodeFrame(1, arp, arp.length)).toBe('not-ip');
    expect(decodeFrame(9999, frame, frame.length)).toBe('link-type');
    expect(decodeFrame(1, frame.subarray(0, 20), frame.length)).toBe('truncated');
  });

  test('never throws on arbitrary frames of any link type', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 12, 101, 108, 113, 228, 229, 276, 5), fc.uint8Array({ maxLength: 120 }), fc.nat(200), (lt, bytes, extra) => {
        const b = Buffer.from(bytes);
        const s = decodeFrame(lt, b, b.length + extra);
        if (typeof s !== 'string') expect(s.payload.length).toBeLessThanOrEqual(b.length);
      }),
      { numRuns: 500 },
    );
  });
});
