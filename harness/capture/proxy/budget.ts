import { MessageFramer } from '../../wire/index.ts';
import type { WireProtocolError } from '../../errors.ts';

/**
 * The proxy's memory bound. Bytes are forwarded the moment they arrive; what the proxy
 * holds is the unfinished message each connection's framer keeps for the record. One
 * budget covers those bytes across all connections.
 *
 * Over the budget, the message that would overflow it is no longer kept: the framer
 * lets go of what it held, passes the rest of that message through uncounted (it was
 * and still is forwarded), and its operation is dropped from the capture and counted.
 * Pausing the client instead would not free anything: a half-received message can only
 * finish by reading more of it, so paused connections would hold the budget until the
 * stall limit closed them, and every other client (a normal one included) would wait
 * behind them. The forwarding path itself is bounded per connection by the sockets'
 * own back-pressure (a full upstream pauses its client, session.ts).
 *
 *   held = Σ framer.pending over every connection  ≤  limit
 */
export class BufferBudget {
  held = 0;
  /** Messages let go because the budget was full. */
  released = 0;
  /** Peak of `held`, for the status line. */
  peak = 0;

  constructor(readonly limit: number) {}

  /** Takes n more bytes; false when they do not fit. */
  take(n: number, force = false): boolean {
    if (!force && this.held + n > this.limit) return false;
    this.held += n;
    if (this.held > this.peak) this.peak = this.held;
    return true;
  }

  give(n: number): void {
    this.held -= n;
  }
}

/**
 * A MessageFramer whose held bytes are charged to a BufferBudget, and that can let go
 * of a message too large for it (see BufferBudget). The framer itself keeps its
 * chunks private, so the wrapper keeps the first four bytes of the unfinished message
 * (its length) to know how much of it to let pass once released.
 */
export class BoundedFramer {
  private framer = new MessageFramer();
  /** Bytes of the released message still to pass through. */
  private skipping = 0;
  private readonly head = Buffer.alloc(4);
  private headGot = 0;
  /** Bytes charged to the budget (what the framer holds). */
  private charged = 0;
  /** Time (ms, monotonic) the unfinished message began; 0 between messages. */
  partialSinceMs = 0;

  constructor(private readonly budget: BufferBudget) {}

  /** An unfinished message is held or being passed through. */
  get inMessage(): boolean {
    return this.skipping > 0 || this.framer.pending > 0;
  }

  /** The rest of a released message is passing through (not framed). */
  get passing(): boolean {
    return this.skipping > 0;
  }

  /** Bytes held for an unfinished message. */
  get pending(): number {
    return this.framer.pending;
  }

  /**
   * Frames a chunk like MessageFramer.push; `onRelease` is called when a message is let
   * go for want of budget (its remainder is skipped, never framed as messages). Without
   * `onRelease` the message may not be let go (its bytes are not forwarded yet): it is
   * charged past the budget instead.
   */
  push(chunk: Buffer, nowUs: number, nowMs: number, onMessage: (message: Buffer, startUs: number) => void, onRelease: (() => void) | undefined): WireProtocolError | undefined {
    if (this.skipping > 0) {
      const n = Math.min(this.skipping, chunk.length);
      this.skipping -= n;
      if (this.skipping > 0) return undefined;
      this.partialSinceMs = 0;
      chunk = chunk.subarray(n);
      if (chunk.length === 0) return undefined;
    }
    const before = this.framer.pending;
    let completed = false;
    const err = this.framer.push(chunk, nowUs, (m, start) => {
      completed = true;
      onMessage(m, start);
    });
    if (err) {
      this.settle(undefined);
      return err;
    }
    const after = this.framer.pending;
    if (after === 0) {
      this.partialSinceMs = 0;
      this.headGot = 0;
    } else if (completed || before === 0) {
      // A new unfinished message began in this chunk: its last `after` bytes. A first message
      // keeps the clock set when the connection opened (awaitFirst).
      if (completed || this.partialSinceMs === 0) this.partialSinceMs = nowMs;
      this.headGot = 0;
      this.keepHead(chunk.subarray(chunk.length - after));
    } else this.keepHead(chunk);
    return this.settle(onRelease);
  }

  /** Starts the stall clock before any byte: a client must send its first message in time too (a driver sends hello at once). */
  awaitFirst(nowMs: number): void {
    this.partialSinceMs = nowMs;
  }

  /** Returns what the framer holds to the budget (the connection closed). */
  dispose(): void {
    this.budget.give(this.charged);
    this.charged = 0;
  }

  private keepHead(bytes: Buffer): void {
    if (this.headGot >= 4) return;
    const n = Math.min(4 - this.headGot, bytes.length);
    bytes.copy(this.head, this.headGot, 0, n);
    this.headGot += n;
  }

  /** Brings the charge in line with what the framer holds; releases the message when it does not fit. */
  private settle(onRelease: (() => void) | undefined): undefined {
    const held = this.framer.pending;
    if (held <= this.charged) {
      this.budget.give(this.charged - held);
      this.charged = held;
      return undefined;
    }
    if (this.budget.take(held - this.charged, onRelease === undefined)) {
      this.charged = held;
      return undefined;
    }
    // Over the budget. The framer validated the length (it would have failed otherwise), and a message
    // held past its first four bytes always has them kept here.
    const declared = this.headGot >= 4 ? this.head.readInt32LE(0) : held;
    this.skipping = Math.max(0, declared - held);
    this.framer = new MessageFramer();
    this.budget.give(this.charged);
    this.charged = 0;
    this.headGot = 0;
    this.budget.released++;
    if (this.skipping === 0) this.partialSinceMs = 0;
    onRelease?.();
    return undefined;
  }
}
