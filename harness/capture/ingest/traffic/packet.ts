/**
 * Packets of mongod's traffic recorder (src/mongo/db/traffic_recorder.cpp), all
 * integers little-endian:
 *
 *   classic (4.2 `startRecordingTraffic` … 8.0 `startTrafficRecording`):
 *     u32 size | u64 sessionId | cstring session | u64 time | u64 order | message
 *   event (later `startTrafficRecording`, with session start/end events):
 *     u32 size | u8 eventType | u64 sessionId | cstring session | u64 time | u64 order | message
 *
 * `size` counts the whole packet, header included. `session` is the session's
 * `toBSON().toString()` (`{ remote: "ip:port", local: "ip:port" }`). `time` is the
 * capture time in milliseconds since the epoch in 4.2–7.x (`Date_t`), and microseconds
 * since the recording started in later servers (`offset`). `message` is the whole wire
 * message, requests and replies alike; an empty message marks a session event.
 */
export type PacketLayout = 'classic' | 'event';

export interface TrafficPacket {
  /** Byte offset of the packet in its file. */
  readonly at: number;
  readonly sessionId: bigint;
  readonly session: string;
  readonly time: bigint;
  readonly order: bigint;
  /** Event layout only: 0 regular message, other values session events / responses. */
  readonly eventType?: number;
  /** A `subarray` of the chunk: copy it if it must outlive the next read. */
  readonly message: Buffer;
}

export type PacketRead =
  /** A whole packet; `next` is where the following one starts. */
  | { readonly kind: 'packet'; readonly packet: TrafficPacket; readonly next: number }
  /** Not enough bytes yet for the packet that starts at `at` (or the file ends inside it). */
  | { readonly kind: 'short'; readonly need: number }
  /** The bytes at `at` cannot be a packet: the framing is lost from here. */
  | { readonly kind: 'corrupt'; readonly message: string };

/** u32 size + u64 id + empty cstring + u64 time + u64 order. */
const MIN_CLASSIC = 4 + 8 + 1 + 8 + 8;
/** A session string longer than this is not a session string (the server's are ~60 bytes). */
const MAX_SESSION = 64 * 1024;
/** Wire messages are at most 48 MB (maxMessageSizeBytes); the packet header adds little. */
const MAX_PACKET = 48_000_000 + MIN_CLASSIC + 1 + MAX_SESSION;

/** Reads the packet at `at`. Never throws; zero-copy (the message is a subarray of `buf`). */
export function readPacket(buf: Buffer, at: number, layout: PacketLayout): PacketRead {
  const min = MIN_CLASSIC + (layout === 'event' ? 1 : 0);
  if (buf.length - at < 4) return { kind: 'short', need: 4 };
  const size = buf.readUInt32LE(at);
  if (size < min || size > MAX_PACKET) return { kind: 'corrupt', message: `packet size ${size} outside [${min}, ${MAX_PACKET}]` };
  if (buf.length - at < size) return { kind: 'short', need: size };
  const end = at + size;
  let p = at + 4;
  let eventType: number | undefined;
  if (layout === 'event') eventType = buf[p++]!;
  const sessionId = buf.readBigUInt64LE(p);
  p += 8;
  const nul = buf.indexOf(0, p);
  if (nul === -1 || nul >= end - 16 || nul - p > MAX_SESSION) return { kind: 'corrupt', message: 'session name not terminated inside the packet' };
  const session = buf.toString('latin1', p, nul);
  p = nul + 1;
  const time = buf.readBigUInt64LE(p);
  const order = buf.readBigUInt64LE(p + 8);
  p += 16;
  const message = buf.subarray(p, end);
  if (message.length > 0 && (message.length < 16 || message.readInt32LE(0) !== message.length)) {
    return { kind: 'corrupt', message: `message length field ${message.length >= 4 ? message.readInt32LE(0) : '?'} does not match the ${message.length} bytes the packet holds` };
  }
  return { kind: 'packet', packet: { at, sessionId, session, time, order, ...(eventType === undefined ? {} : { eventType }), message }, next: end };
}

/**
 * Which layout a file uses, from its first packet: the one under which the packet's
 * message (or empty message) fills the packet exactly and the session string looks
 * like one. Undefined when neither fits (not a recording, or damaged from the start).
 */
export function detectLayout(head: Buffer): PacketLayout | undefined {
  const fits = (layout: PacketLayout): boolean => {
    const r = readPacket(head, 0, layout);
    if (r.kind !== 'packet') return false;
    const s = r.packet.session;
    return s === '' || /^[\x20-\x7e]*$/.test(s);
  };
  // Classic first: 4.2 is what production runs. A classic packet read as `event` puts
  // the session id's low byte in eventType and shifts everything by one.
  if (fits('classic')) return 'classic';
  if (fits('event')) return 'event';
  return undefined;
}

/** Builds one packet (the inverse of readPacket), for tests and tools that write recordings. */
export function buildPacket(layout: PacketLayout, p: { sessionId: bigint; session: string; time: bigint; order: bigint; eventType?: number; message: Buffer }): Buffer {
  const session = Buffer.from(p.session, 'latin1');
  const headLen = 4 + (layout === 'event' ? 1 : 0) + 8 + session.length + 1 + 16;
  const head = Buffer.alloc(headLen);
  let o = 0;
  head.writeUInt32LE(headLen + p.message.length, o);
  o += 4;
  if (layout === 'event') head[o++] = p.eventType ?? 0;
  head.writeBigUInt64LE(p.sessionId, o);
  o += 8;
  session.copy(head, o);
  o += session.length + 1;
  head.writeBigUInt64LE(p.time, o);
  head.writeBigUInt64LE(p.order, o + 8);
  return Buffer.concat([head, p.message]);
}
