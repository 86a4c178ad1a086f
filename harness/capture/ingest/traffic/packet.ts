/**
 * Packets of mongod's traffic recorder (src/mongo/db/traffic_recorder.cpp), all
 * integers little-endian. Three packet layouts have been written (captures/FORMAT.md
 * names the server commits they were read at):
 *
 *   split   (SERVER-37823, 4.2 `startRecordingTraffic`, one file):
 *     u32 size | u64 sessionId | cstring local | cstring remote | u64 epoch ms | u64 order | message
 *   classic (one session string; a directory of `<ms>.bin` files):
 *     u32 size | u64 sessionId | cstring session | u64 time | u64 order | message
 *     `time` is epoch milliseconds (`Date_t`) in the older servers and microseconds since
 *     the recording started in later ones: the file's first packet tells which.
 *   event   (`startTrafficRecording` with session events, `<ms>.bin` + checksum.txt):
 *     u32 size | u8 eventType | u64 sessionId | cstring session | u64 µs since start | u64 order | message
 *     eventType 0 message, 1 session start, 2 session end (empty message).
 *
 * `size` counts the whole packet, header included. `session` is the session's
 * `toBSON().toString()` (`{ remote: "ip:port", local: "ip:port" }`); for `split` it is
 * rebuilt in that notation from the two strings. `message` is the whole wire message,
 * requests and replies alike.
 */
export type PacketLayout = 'split' | 'classic' | 'event';

/** How a file's packet times count: since the epoch in ms, or since the recording started in µs. */
export type TimeBase = 'epoch-ms' | 'offset-us';

/** A classic `time` at or above this is epoch milliseconds (1973-03-03); below, a µs offset (27 hours). */
const EPOCH_MS_FLOOR = 100_000_000_000n;

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
  const min = MIN_CLASSIC + (layout === 'classic' ? 0 : 1);
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
  let session = buf.toString('latin1', p, nul);
  p = nul + 1;
  if (layout === 'split') {
    const nul2 = buf.indexOf(0, p);
    if (nul2 === -1 || nul2 >= end - 16 || nul2 - p > MAX_SESSION) return { kind: 'corrupt', message: 'remote address not terminated inside the packet' };
    session = `{ remote: ${JSON.stringify(buf.toString('latin1', p, nul2))}, local: ${JSON.stringify(session)} }`;
    p = nul2 + 1;
  }
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
export function detectLayout(head: Buffer): { layout: PacketLayout; timeBase: TimeBase } | undefined {
  const fits = (layout: PacketLayout): TrafficPacket | undefined => {
    const r = readPacket(head, 0, layout);
    if (r.kind !== 'packet') return undefined;
    const s = r.packet.session;
    if (layout === 'event' && (r.packet.eventType ?? 0) > 2) return undefined;
    // Both 4.2 addresses are always written; an empty one is an event packet's id byte read as a string.
    if (layout === 'split' && s.includes(': ""')) return undefined;
    return s === '' || /^[\x20-\x7e]*$/.test(s) ? r.packet : undefined;
  };
  // A packet read in the wrong layout shifts every later field by a string or a byte, so
  // the wire message's own length no longer matches what is left: at most one fits.
  let p: TrafficPacket | undefined;
  if ((p = fits('classic'))) return { layout: 'classic', timeBase: p.time >= EPOCH_MS_FLOOR ? 'epoch-ms' : 'offset-us' };
  if (fits('split')) return { layout: 'split', timeBase: 'epoch-ms' };
  if (fits('event')) return { layout: 'event', timeBase: 'offset-us' };
  return undefined;
}

/** Builds one packet (the inverse of readPacket), for tests and tools that write recordings. */
export function buildPacket(layout: PacketLayout, p: { sessionId: bigint; session: string; remote?: string; time: bigint; order: bigint; eventType?: number; message: Buffer }): Buffer {
  // split: `session` is the local address and `remote` the peer's.
  const session = Buffer.from(layout === 'split' ? `${p.session}\0${p.remote ?? ''}` : p.session, 'latin1');
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
