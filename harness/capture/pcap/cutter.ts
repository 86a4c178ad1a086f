import { WireProtocolError } from '../../errors.ts';
import { HEADER_SIZE, MAX_MESSAGE_SIZE, MSG_KNOWN_REQUIRED_BITS, OP_CODES, parseMessage } from '../../wire/index.ts';
import { OP_COMMAND, OP_COMMANDREPLY, opCommandAsOpMsg } from '../../wire/index.ts';
import type { CaptureQuality } from './quality.ts';

/** What a TCP direction hands on: bytes in sequence order, and holes the capture lost. */
export interface StreamSink {
  data(bytes: Buffer, tsUs: number): void;
  /** `bytes` on the wire that the capture does not have, at this point of the stream. */
  gap(bytes: number, tsUs: number): void;
  end(): void;
}

/** The codec's opcodes, and the 3.2-era command messages (op-command.ts rewrites them). */
const KNOWN_OPCODES: ReadonlySet<number> = new Set([...Object.values(OP_CODES), OP_COMMAND, OP_COMMANDREPLY]);
const EMPTY = Buffer.alloc(0);

/**
 * Cuts one direction of a reassembled TCP stream into whole wire messages, and finds
 * its way back after a hole. Three modes:
 *
 *   synced  ─ header ok ─▶ message (zero-copy when inside one segment, else one buffer
 *     │                    of the announced length filled as segments come)
 *     ├─ a gap inside a message whose length is known ─▶ skip to its end ─▶ synced
 *     └─ a gap past it, or a header that cannot be one ─▶ resync
 *   resync: scan byte by byte for a plausible header (length in range, known opCode,
 *     opCode-specific fields sane) whose whole message then parses; the bytes before
 *     it belong to a message the capture lost.
 *
 * A stream whose start the capture missed begins in resync, so it starts at the first
 * complete message. Messages longer than `capBytes` are skipped by their length (the
 * framing is kept) and counted: the memory held is bounded by the cap.
 */
export class MessageCutter implements StreamSink {
  private mode: 'synced' | 'resync' | 'skip';
  private skipRemaining = 0;
  /** Synced: the first bytes of a header that straddles segments (< 16). */
  private head: Buffer = EMPTY;
  /** Synced: a message being filled. */
  private msg: Buffer | undefined;
  private filled = 0;
  private msgStartUs = 0;
  /** Resync: the bytes being scanned. */
  private scan: Buffer = EMPTY;
  /**
   * Resync: bytes that arrived while a candidate at the start of `scan` waits to be whole,
   * and how many it needs: joined once there are enough, so a long candidate costs one copy,
   * not one per segment.
   */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private waitFor = 0;
  private scanStartUs = 0;
  /** Set once a message was framed: the stream is MongoDB's wire protocol. */
  framedAny = false;
  /** Bytes skipped while looking for a header, since the last message. */
  scannedWithoutMessage = 0;
  /** Bytes were lost since the last message: finding a header again is a resynchronisation. */
  private afterLoss = false;
  private received = false;

  constructor(
    startSynced: boolean,
    private readonly capBytes: number,
    private readonly quality: CaptureQuality,
    private readonly onMessage: (message: Buffer, startUs: number, endUs: number) => void,
  ) {
    this.mode = startSynced ? 'synced' : 'resync';
  }

  /** The stream's start was seen (its SYN): the first byte begins a message. */
  startAtBoundary(): void {
    if (!this.received && this.mode === 'resync') this.mode = 'synced';
  }

  data(bytes: Buffer, tsUs: number): void {
    this.received = true;
    let i = 0;
    const n = bytes.length;
    while (i < n) {
      if (this.mode === 'skip') {
        const k = Math.min(this.skipRemaining, n - i);
        i += k;
        this.skipRemaining -= k;
        if (this.skipRemaining === 0) this.mode = 'synced';
        continue;
      }
      if (this.mode === 'resync') {
        this.resync(bytes.subarray(i), tsUs, false);
        return;
      }
      if (this.msg) {
        const k = Math.min(this.msg.length - this.filled, n - i);
        bytes.copy(this.msg, this.filled, i, i + k);
        this.filled += k;
        i += k;
        if (this.filled === this.msg.length) {
          const m = this.msg;
          this.msg = undefined;
          this.deliver(m, this.msgStartUs, tsUs);
        }
        continue;
      }
      if (this.head.length > 0) {
        const k = Math.min(HEADER_SIZE - this.head.length, n - i);
        const joined = Buffer.concat([this.head, bytes.subarray(i, i + k)]);
        i += k;
        if (joined.length < HEADER_SIZE) {
          this.head = joined;
          continue;
        }
        this.head = EMPTY;
        if (!this.startMessage(joined, this.msgStartUs, tsUs)) {
          this.lostSync(Buffer.concat([joined, bytes.subarray(i)]), tsUs);
          return;
        }
        continue;
      }
      if (n - i < HEADER_SIZE) {
        this.head = Buffer.from(bytes.subarray(i));
        this.msgStartUs = tsUs;
        return;
      }
      const length = bytes.readInt32LE(i);
      if (!validHeader(bytes, i)) {
        this.lostSync(bytes.subarray(i), tsUs);
        return;
      }
      if (length <= n - i && length <= this.capBytes) {
        // A segment that is exactly one message (the usual case) is handed on as it is.
        this.deliver(i === 0 && length === n ? bytes : bytes.subarray(i, i + length), tsUs, tsUs);
        i += length;
        continue;
      }
      this.startMessage(bytes.subarray(i, i + HEADER_SIZE), tsUs, tsUs);
      i += HEADER_SIZE;
    }
  }

  /**
   * A header (the first 16 bytes of `header`) begins a message spread over segments, or one
   * over the cap (skipped by its length). False when it cannot be a header.
   */
  private startMessage(header: Buffer, startUs: number, tsUs: number): boolean {
    if (!validHeader(header, 0)) return false;
    const length = header.readInt32LE(0);
    this.msgStartUs = startUs;
    if (length > this.capBytes) {
      this.quality.capHits++;
      this.quality.messagesLost++;
      this.mode = 'skip';
      this.skipRemaining = length - HEADER_SIZE;
      if (this.skipRemaining === 0) this.mode = 'synced';
      this.msgStartUs = 0;
      return true;
    }
    this.msg = Buffer.allocUnsafe(length);
    header.copy(this.msg, 0, 0, HEADER_SIZE);
    this.filled = HEADER_SIZE;
    if (length === HEADER_SIZE) {
      const m = this.msg;
      this.msg = undefined;
      this.deliver(m, startUs, tsUs);
    }
    return true;
  }

  private deliver(message: Buffer, startUs: number, endUs: number): void {
    this.msgStartUs = 0;
    this.framedAny = true;
    this.afterLoss = false;
    this.scannedWithoutMessage = 0;
    this.onMessage(message, startUs, endUs);
  }

  /** Bytes that should begin a header do not: the stream is out of step (a gap the capture did not show). */
  private lostSync(rest: Buffer, tsUs: number): void {
    this.quality.desyncs++;
    this.quality.messagesLost++;
    this.afterLoss = true;
    this.mode = 'resync';
    this.msgStartUs = 0;
    this.resync(rest, tsUs, false);
  }

  gap(bytes: number, _tsUs: number): void {
    if (bytes <= 0) return;
    // Resyncing, and waiting for a candidate longer than what is held: no byte will extend
    // what is held now, so a whole message inside it must be found before the hole drops it.
    if (this.mode === 'resync' && this.scan.length + this.pendingBytes > 0) this.resync(EMPTY, this.scanStartUs, true);
    this.received = true;
    this.afterLoss = true;
    this.quality.gaps++;
    this.quality.lostBytes += bytes;
    if (this.mode === 'skip') {
      if (bytes < this.skipRemaining) {
        this.skipRemaining -= bytes;
        return;
      }
      const past = bytes - this.skipRemaining;
      this.skipRemaining = 0;
      this.mode = 'synced';
      if (past > 0) this.enterResyncAfterLoss();
      return;
    }
    if (this.mode === 'resync') {
      // What was being scanned cannot continue across the hole.
      this.scannedWithoutMessage += this.scan.length + this.pendingBytes;
      this.scan = EMPTY;
      this.dropPending();
      return;
    }
    // The length of the message in progress, when its first four bytes were seen.
    const known = this.msg ? this.msg.length : this.head.length >= 4 ? this.head.readInt32LE(0) : -1;
    if (this.msg || this.head.length > 0) {
      this.quality.messagesLost++;
      const remaining = known - (this.msg ? this.filled : this.head.length);
      this.msg = undefined;
      this.head = EMPTY;
      this.msgStartUs = 0;
      if (known < HEADER_SIZE || known > MAX_MESSAGE_SIZE) this.mode = 'resync';
      else if (bytes < remaining) {
        // The hole ends inside this message: its length says where the next begins.
        this.mode = 'skip';
        this.skipRemaining = remaining - bytes;
      } else if (bytes > remaining) this.enterResyncAfterLoss();
      return;
    }
    // At a message boundary: at least one whole message was in the hole.
    this.enterResyncAfterLoss();
  }

  private enterResyncAfterLoss(): void {
    this.quality.messagesLost++;
    this.mode = 'resync';
  }

  end(): void {
    if (this.mode === 'resync' && this.scan.length + this.pendingBytes > 0) this.resync(EMPTY, this.scanStartUs, true);
    if (this.msg || this.head.length > 0 || (this.mode === 'skip' && this.skipRemaining > 0)) {
      // The stream ended inside a message (the capture stopped, or the connection was cut).
      if (this.mode !== 'skip') this.quality.messagesLost++;
      this.quality.truncatedAtEnd++;
    }
    this.msg = undefined;
    this.head = EMPTY;
    this.scan = EMPTY;
    this.dropPending();
  }

  private dropPending(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.waitFor = 0;
  }

  /**
   * Scans `more` (after what is already held) for the first plausible whole message.
   * `final`: no more bytes will come, so a candidate longer than what is held is not one.
   */
  private resync(more: Buffer, tsUs: number, final: boolean): void {
    if (!final && this.waitFor > 0 && this.scan.length + this.pendingBytes + more.length < this.waitFor) {
      // Copied: `more` may be a view of a large input chunk.
      this.pending.push(Buffer.from(more));
      this.pendingBytes += more.length;
      return;
    }
    let buf: Buffer;
    if (this.scan.length === 0 && this.pendingBytes === 0) {
      buf = more;
      this.scanStartUs = tsUs;
    } else buf = Buffer.concat([this.scan, ...this.pending, more]);
    this.dropPending();
    let off = 0;
    const end = buf.length;
    while (off + HEADER_SIZE <= end) {
      if (!plausibleHeader(buf, off, this.capBytes)) {
        off++;
        continue;
      }
      const length = buf.readInt32LE(off);
      if (off + length > end) {
        if (final) {
          off++;
          continue;
        }
        this.waitFor = length;
        break;
      }
      const candidate = buf.subarray(off, off + length);
      if (!wellFormed(candidate)) {
        off++;
        continue;
      }
      if (off > 0 || this.afterLoss) this.quality.resyncs++;
      this.quality.resyncSkippedBytes += off;
      this.scan = EMPTY;
      this.mode = 'synced';
      this.deliver(candidate, this.scanStartUs, tsUs);
      if (off + length < end) this.data(buf.subarray(off + length), tsUs);
      return;
    }
    this.quality.resyncSkippedBytes += off;
    this.scannedWithoutMessage += off;
    // Keep only what may still begin a header; copy so no large input chunk stays referenced.
    this.scan = off >= end ? EMPTY : Buffer.from(buf.subarray(off));
    if (off > 0) this.scanStartUs = tsUs;
  }
}

function wellFormed(m: Buffer): boolean {
  const op = m.readInt32LE(12);
  if (op === OP_COMMAND || op === OP_COMMANDREPLY) return opCommandAsOpMsg(m) !== undefined;
  return !(parseMessage(m) instanceof WireProtocolError);
}

/** Length in range and an opCode the codec knows: enough to frame, the decoder checks the rest. */
function validHeader(b: Buffer, at: number): boolean {
  const length = b.readInt32LE(at);
  return length >= HEADER_SIZE && length <= MAX_MESSAGE_SIZE && KNOWN_OPCODES.has(b.readInt32LE(at + 12));
}

/**
 * Stricter than validHeader, for finding a header among arbitrary bytes: the fields
 * after the header that each opCode fixes must be sane where they are present.
 */
export function plausibleHeader(b: Buffer, at: number, capBytes: number): boolean {
  const avail = b.length - at;
  const length = b.readInt32LE(at);
  if (length < HEADER_SIZE || length > MAX_MESSAGE_SIZE || length > capBytes) return false;
  const op = b.readInt32LE(at + 12);
  if (!KNOWN_OPCODES.has(op)) return false;
  const responseTo = b.readInt32LE(at + 8);
  switch (op) {
    case OP_CODES.OP_MSG: {
      if (length < HEADER_SIZE + 5 + 5) return false;
      if (avail < 25) return true;
      const flags = b.readUInt32LE(at + 16);
      if ((flags & 0xffff & ~MSG_KNOWN_REQUIRED_BITS) !== 0) return false;
      const kind = b[at + 20]!;
      if (kind > 1) return false;
      const size = b.readInt32LE(at + 21);
      return size >= 5 && size <= length - 21;
    }
    case OP_CODES.OP_COMPRESSED: {
      if (avail < 25) return length > HEADER_SIZE + 9;
      const original = b.readInt32LE(at + 16);
      const size = b.readInt32LE(at + 20);
      return original !== OP_CODES.OP_COMPRESSED && KNOWN_OPCODES.has(original) && size >= 0 && size <= MAX_MESSAGE_SIZE && b[at + 24]! <= 3;
    }
    case OP_COMMANDREPLY:
      return responseTo !== 0 && length >= HEADER_SIZE + 10;
    case OP_CODES.OP_REPLY: {
      if (responseTo === 0 || length < 36) return false;
      if (avail < 36) return true;
      const returned = b.readInt32LE(at + 32);
      return (b.readUInt32LE(at + 16) & ~0xf) === 0 && returned >= 0 && returned * 5 <= length - 36;
    }
    default:
      // Requests: nothing answers them yet.
      return responseTo === 0 && length >= 20;
  }
}
