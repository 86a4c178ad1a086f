import type { StreamSink } from './cutter.ts';
import type { CaptureQuality } from './quality.ts';

interface Held {
  readonly seq: number;
  readonly payload: Buffer;
  readonly length: number;
  readonly tsUs: number;
}

/**
 * How long a hole stays open after a bare acknowledgement past it. A capture on several
 * interfaces or CPUs (`-i any`) may hold an acknowledgement a little before the data it
 * acknowledges; a real loss waits this long for nothing. An acknowledgement riding on
 * the peer's own data (a reply) settles the hole at once: the peer answered, so it had
 * the bytes, and the request must reach the decoder before its reply does.
 */
export const REORDER_TOLERANCE_US = 2_000;

/** Signed distance from `b` to `a` in 32-bit sequence space (RFC 793 §3.3 comparisons). */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * One direction of one TCP connection: segments in capture order in, bytes in sequence
 * order out (RFC 793 sequence space, wrapping at 2^32).
 *
 * - A segment wholly before `next` is a retransmission or a duplicate: dropped; one that
 *   overlaps `next` is trimmed to its new bytes.
 * - A segment after `next` waits in a window of at most `windowBytes`, in sequence order.
 * - A hole is declared lost (a gap, handed on so the message cutter can resynchronise)
 *   once the peer has acknowledged past it for REORDER_TOLERANCE_US — the peer received
 *   those bytes, so no retransmission will ever show them — when the window overflows,
 *   or at the end.
 * - A segment the snap length cut is delivered as far as captured, the rest is a gap.
 */
export class TcpDirection {
  private next: number | undefined;
  /** Held segments, sorted by sequence number relative to `next`. */
  private held: Held[] = [];
  private heldBytes = 0;
  /** Highest acknowledgement the peer sent for this direction's bytes. */
  private peerAck: number | undefined;
  /** When the first hole was first seen acknowledged past. */
  private coveredAtUs: number | undefined;
  ended = false;

  constructor(
    private readonly windowBytes: number,
    private readonly quality: CaptureQuality,
    private readonly sink: StreamSink,
  ) {}

  get started(): boolean {
    return this.next !== undefined;
  }

  /** SYN: the first data byte is `seq + 1`. */
  syn(seq: number): void {
    if (this.next === undefined) this.next = (seq + 1) >>> 0;
  }

  /** The peer acknowledged every byte of this direction before `ack`; `withData` when its segment carried data. */
  acked(ack: number, tsUs: number, withData = false): void {
    if (this.peerAck === undefined || seqDiff(ack, this.peerAck) > 0) this.peerAck = ack;
    if (this.held.length > 0) this.settleHoles(tsUs, withData);
  }

  segment(seq: number, payload: Buffer, length: number, tsUs: number): void {
    if (length <= 0 || this.ended) return;
    if (this.next === undefined) this.next = seq;
    let d = seqDiff(seq, this.next);
    if (d < 0) {
      if (d + length <= 0) {
        this.quality.duplicateBytes += length;
        return;
      }
      this.quality.duplicateBytes += -d;
      payload = payload.subarray(Math.min(-d, payload.length));
      length += d;
      seq = this.next;
      d = 0;
    }
    if (d === 0) {
      this.deliver(payload, length, tsUs);
      if (this.held.length > 0) this.drain();
      return;
    }
    this.hold({ seq, payload, length, tsUs });
    this.settleHoles(tsUs, false);
    while (this.heldBytes > this.windowBytes && this.held.length > 0) {
      this.quality.capHits++;
      this.skipToHeld(tsUs);
    }
  }

  /** FIN, RST or the end of the capture: what is held is delivered, holes as gaps. */
  end(tsUs: number): void {
    if (this.ended) return;
    while (this.held.length > 0) this.skipToHeld(tsUs);
    this.ended = true;
    this.sink.end();
  }

  private deliver(payload: Buffer, length: number, tsUs: number): void {
    if (payload.length > 0) this.sink.data(payload, tsUs);
    if (length > payload.length) this.sink.gap(length - payload.length, tsUs);
    this.next = (this.next! + length) >>> 0;
  }

  private hold(h: Held): void {
    const d = seqDiff(h.seq, this.next!);
    let i = this.held.length;
    while (i > 0 && seqDiff(this.held[i - 1]!.seq, this.next!) > d) i--;
    const same = this.held[i - 1];
    if (same && same.seq === h.seq) {
      // The same start twice (a retransmission of a held segment): keep the longer.
      if (same.length >= h.length) {
        this.quality.duplicateBytes += h.length;
        return;
      }
      this.quality.duplicateBytes += same.length;
      this.heldBytes -= same.length;
      this.held.splice(i - 1, 1, h);
    } else this.held.splice(i, 0, h);
    this.heldBytes += h.length;
  }

  /** Delivers held segments that now start at or before `next`. */
  private drain(): void {
    while (this.held.length > 0) {
      const h = this.held[0]!;
      const d = seqDiff(h.seq, this.next!);
      if (d > 0) return;
      this.held.shift();
      this.heldBytes -= h.length;
      if (d + h.length <= 0) {
        this.quality.duplicateBytes += h.length;
        continue;
      }
      this.quality.reordered++;
      this.quality.duplicateBytes += -d;
      this.deliver(h.payload.subarray(Math.min(-d, h.payload.length)), h.length + d, h.tsUs);
    }
  }

  /** Holes the peer has acknowledged past (for long enough) are lost for good. */
  private settleHoles(tsUs: number, now: boolean): void {
    while (this.held.length > 0 && this.peerAck !== undefined && seqDiff(this.peerAck, this.next!) > 0 && seqDiff(this.held[0]!.seq, this.peerAck) <= 0) {
      this.coveredAtUs ??= tsUs;
      if (!now && tsUs - this.coveredAtUs < REORDER_TOLERANCE_US) return;
      this.coveredAtUs = undefined;
      this.skipToHeld(tsUs);
    }
    this.coveredAtUs = undefined;
  }

  /** Gives up on the hole before the first held segment. */
  private skipToHeld(tsUs: number): void {
    const h = this.held[0]!;
    const lost = seqDiff(h.seq, this.next!);
    if (lost > 0) {
      this.sink.gap(lost, tsUs);
      this.next = h.seq;
    }
    this.drain();
  }
}
