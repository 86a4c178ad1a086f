import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPacket, detectLayout, readPacket, type PacketLayout } from '../../../../../harness/capture/ingest/traffic/packet.ts';
import { extendCrc32c } from '../../../../../harness/capture/ingest/traffic/crc32c-stream.ts';
import { crc32c } from '../../../../../harness/wire/index.ts';

/** A byte string that looks like a wire message: its first int32 is its own length. */
const messageArb = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  fc.uint8Array({ minLength: 12, maxLength: 200 }).map((b) => {
    const m = Buffer.concat([Buffer.alloc(4), Buffer.from(b)]);
    m.writeInt32LE(m.length, 0);
    return m;
  }),
);

const packetArb = fc.record({
  sessionId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  session: fc.stringMatching(/^[ -~]{0,60}$/),
  time: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  order: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  eventType: fc.integer({ min: 0, max: 255 }),
  message: messageArb,
});

describe('traffic recorder packets', () => {
  for (const layout of ['split', 'classic', 'event'] as PacketLayout[]) {
    it(`${layout}: read(build(p)) gives p back, and the next packet starts right after`, () => {
      fc.assert(
        fc.property(fc.array(packetArb, { minLength: 1, maxLength: 4 }), (ps) => {
          const buf = Buffer.concat(ps.map((p) => buildPacket(layout, p)));
          let at = 0;
          for (const p of ps) {
            const r = readPacket(buf, at, layout);
            if (r.kind !== 'packet') throw new Error(JSON.stringify(r));
            expect(r.packet.sessionId).toBe(p.sessionId);
            expect(r.packet.session).toBe(layout === 'split' ? `{ remote: "", local: ${JSON.stringify(p.session)} }` : p.session);
            expect(r.packet.time).toBe(p.time);
            expect(r.packet.order).toBe(p.order);
            expect(r.packet.message.equals(p.message)).toBe(true);
            if (layout === 'event') expect(r.packet.eventType).toBe(p.eventType);
            at = r.next;
          }
          expect(at).toBe(buf.length);
        }),
      );
    });
  }

  it('every cut of a packet reads as short, never as a packet or a throw', () => {
    fc.assert(
      fc.property(packetArb.filter((p) => p.message.length > 0), fc.nat(), (p, n) => {
        const whole = buildPacket('classic', p);
        const cut = whole.subarray(0, n % whole.length);
        const r = readPacket(cut, 0, 'classic');
        expect(r.kind).not.toBe('packet');
      }),
    );
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom<PacketLayout>('split', 'classic', 'event'), (b, layout) => {
        const buf = Buffer.from(b);
        readPacket(buf, 0, layout);
        detectLayout(buf);
      }),
      { numRuns: 2000 },
    );
  });

  it('tells the three layouts apart from the first packet', () => {
    fc.assert(
      // The server always names the session (an address is never empty), which is what tells the layouts apart.
      fc.property(packetArb.filter((p) => p.message.length > 0 && p.session.length > 0 && p.sessionId < 2n ** 40n), fc.stringMatching(/^[0-9.:]{1,21}$/), (p, remote) => {
        expect(detectLayout(buildPacket('classic', p))?.layout).toBe('classic');
        expect(detectLayout(buildPacket('split', { ...p, remote }))?.layout).toBe('split');
        expect(detectLayout(buildPacket('event', { ...p, eventType: 0 }))?.layout).toBe('event');
      }),
    );
  });

  it('extends CRC-32C across chunks exactly as the one-shot CRC', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), fc.nat(), (b, n) => {
        const cut = b.length === 0 ? 0 : n % b.length;
        expect(extendCrc32c(extendCrc32c(0, b.subarray(0, cut)), b.subarray(cut))).toBe(crc32c(b));
      }),
    );
    expect(extendCrc32c(0, Buffer.from('123456789'))).toBe(0xe3069283); // the CRC-32C check value
  });
});
