/**
 * From a captured frame to a TCP segment: the link layers tcpdump writes on the hosts
 * MongoDB runs on, then IPv4/IPv6, then TCP. Pure and allocation-light: the payload is
 * a `subarray` of the frame. Anything that is not TCP over IP comes back as the reason
 * it was skipped, never as an exception (every read is bounds-checked first).
 */

/** LINKTYPE_ values (tcpdump.org/linktypes.html). */
export const LINK_TYPES = Object.freeze({
  NULL: 0, // BSD loopback: 4-byte address family in the writer's byte order
  ETHERNET: 1,
  RAW_OPENBSD: 12, // DLT_RAW on OpenBSD
  RAW: 101,
  LOOP: 108, // OpenBSD loopback: address family in network byte order
  LINUX_SLL: 113, // Linux cooked capture v1 (`-i any`)
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276, // Linux cooked capture v2 (`-i any` since libpcap 1.10)
} as const);

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** 802.1Q, 802.1ad (QinQ) and the pre-standard 0x9100: each tag adds four bytes. */
const VLAN_TPIDS: ReadonlySet<number> = new Set([0x8100, 0x88a8, 0x9100]);
/** AF_INET6 differs between BSDs (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS); AF_INET is 2 everywhere. */
const AF_INET = 2;
const AF_INET6: ReadonlySet<number> = new Set([24, 28, 30, 10]);
const PROTO_TCP = 6;

export const TCP_FLAGS = Object.freeze({ FIN: 0x01, SYN: 0x02, RST: 0x04, ACK: 0x10 } as const);

export interface TcpSegment {
  /** Address texts (made when read, from a cache: most packets never need them). */
  readonly src: string;
  readonly dst: string;
  /**
   * Address and port as one value, equal for equal endpoints and cheap to compare and to
   * look up: an IPv4 endpoint as the number address × 65536 + port, an IPv6 one as a
   * string of nine 16-bit code units (the address, then the port).
   */
  readonly srcId: number | string;
  readonly dstId: number | string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  /** The captured payload. */
  readonly payload: Buffer;
  /** Payload bytes the segment carried on the wire (more than `payload.length` when the snap length cut it). */
  readonly payloadLength: number;
}

export type SkipReason = 'link-type' | 'not-ip' | 'not-tcp' | 'fragment' | 'truncated';

export function decodeFrame(linkType: number, frame: Buffer, origLen: number): TcpSegment | SkipReason {
  // Bytes the snap length cut from the end of the frame.
  const cut = Math.max(0, origLen - frame.length);
  switch (linkType) {
    case LINK_TYPES.ETHERNET:
      return ethernet(frame, cut);
    case LINK_TYPES.LINUX_SLL:
      if (frame.length < 16) return 'truncated';
      return byEthertype(frame.readUInt16BE(14), frame, 16, cut);
    case LINK_TYPES.LINUX_SLL2:
      if (frame.length < 20) return 'truncated';
      return byEthertype(frame.readUInt16BE(0), frame, 20, cut);
    case LINK_TYPES.NULL:
    case LINK_TYPES.LOOP: {
      if (frame.length < 4) return 'truncated';
      // DLT_NULL's family is in the capturing host's byte order, which the file does not say: a family is small, so the non-zero half tells.
      const le = frame.readUInt32LE(0);
      const family = linkType === LINK_TYPES.LOOP ? frame.readUInt32BE(0) : le > 0xffff ? frame.readUInt32BE(0) : le;
      if (family === AF_INET || AF_INET6.has(family)) return ip(frame, 4, cut);
      return 'not-ip';
    }
    case LINK_TYPES.RAW:
    case LINK_TYPES.RAW_OPENBSD:
    case LINK_TYPES.IPV4:
    case LINK_TYPES.IPV6:
      return ip(frame, 0, cut);
    default:
      return 'link-type';
  }
}

function ethernet(frame: Buffer, cut: number): TcpSegment | SkipReason {
  let at = 12;
  if (frame.length < at + 2) return 'truncated';
  let type = frame.readUInt16BE(at);
  // Stacked VLAN tags; a handful at most, bounded by the frame.
  while (VLAN_TPIDS.has(type)) {
    at += 4;
    if (frame.length < at + 2) return 'truncated';
    type = frame.readUInt16BE(at);
  }
  return byEthertype(type, frame, at + 2, cut);
}

function byEthertype(type: number, frame: Buffer, at: number, cut: number): TcpSegment | SkipReason {
  if (type !== ETHERTYPE_IPV4 && type !== ETHERTYPE_IPV6) return 'not-ip';
  return ip(frame, at, cut);
}

function ip(frame: Buffer, at: number, cut: number): TcpSegment | SkipReason {
  if (frame.length < at + 1) return 'truncated';
  const version = frame[at]! >> 4;
  if (version === 4) return ipv4(frame, at, cut);
  if (version === 6) return ipv6(frame, at, cut);
  return 'not-ip';
}

function ipv4(frame: Buffer, at: number, cut: number): TcpSegment | SkipReason {
  if (frame.length < at + 20) return 'truncated';
  const ihl = (frame[at]! & 0x0f) * 4;
  if (ihl < 20) return 'not-ip';
  const totalLength = frame.readUInt16BE(at + 2);
  const fragment = frame.readUInt16BE(at + 6);
  // More-fragments set or a non-zero offset: a piece of a datagram. Rare (TCP sets DF); not reassembled.
  if ((fragment & 0x3fff) !== 0) return 'fragment';
  if (frame[at + 9] !== PROTO_TCP) return 'not-tcp';
  // Ethernet pads short frames: the IP length says where the datagram ends. A length of 0
  // is what segmentation offload leaves in a capture on the sending host: use the frame.
  const wireEnd = totalLength === 0 ? frame.length + cut : at + totalLength;
  return tcp(frame, at + ihl, wireEnd, at + 12, 4);
}

/** IPv6 extension headers that may sit between the fixed header and TCP (RFC 8200 §4). */
const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const DEST_OPTIONS = 60;

function ipv6(frame: Buffer, at: number, cut: number): TcpSegment | SkipReason {
  if (frame.length < at + 40) return 'truncated';
  const payloadLength = frame.readUInt16BE(at + 4);
  let next = frame[at + 6]!;
  const wireEnd = payloadLength === 0 ? frame.length + cut : at + 40 + payloadLength;
  let o = at + 40;
  for (let hops = 0; hops < 8 && next !== PROTO_TCP; hops++) {
    if (next === FRAGMENT) return 'fragment';
    if (next !== HOP_BY_HOP && next !== ROUTING && next !== DEST_OPTIONS) return 'not-tcp';
    if (frame.length < o + 2) return 'truncated';
    next = frame[o]!;
    o += (frame[o + 1]! + 1) * 8;
  }
  if (next !== PROTO_TCP) return 'not-tcp';
  return tcp(frame, o, wireEnd, at + 8, 16);
}

/** `addrAt`: the source address (the destination follows it), `addrBytes` long (4 or 16). */
function tcp(frame: Buffer, at: number, wireEnd: number, addrAt: number, addrBytes: 4 | 16): TcpSegment | SkipReason {
  if (frame.length < at + 20) return 'truncated';
  const dataOffset = (frame[at + 12]! >> 4) * 4;
  if (dataOffset < 20) return 'not-tcp';
  const start = at + dataOffset;
  if (wireEnd < start) return 'truncated';
  const end = Math.min(wireEnd, frame.length);
  const srcPort = frame.readUInt16BE(at);
  const dstPort = frame.readUInt16BE(at + 2);
  return new Segment(
    frame,
    addrAt,
    addrBytes,
    endpointId(frame, addrAt, addrBytes, srcPort),
    endpointId(frame, addrAt + addrBytes, addrBytes, dstPort),
    srcPort,
    dstPort,
    frame.readUInt32BE(at + 4),
    frame.readUInt32BE(at + 8),
    frame[at + 13]!,
    start < end ? frame.subarray(start, end) : EMPTY,
    wireEnd - start,
  );
}

class Segment implements TcpSegment {
  constructor(
    private readonly frame: Buffer,
    private readonly addrAt: number,
    private readonly addrBytes: 4 | 16,
    readonly srcId: number | string,
    readonly dstId: number | string,
    readonly srcPort: number,
    readonly dstPort: number,
    readonly seq: number,
    readonly ack: number,
    readonly flags: number,
    readonly payload: Buffer,
    readonly payloadLength: number,
  ) {}

  get src(): string {
    return addressText(this.frame, this.addrAt, this.addrBytes);
  }

  get dst(): string {
    return addressText(this.frame, this.addrAt + this.addrBytes, this.addrBytes);
  }
}

const EMPTY = Buffer.alloc(0);

function endpointId(b: Buffer, at: number, bytes: 4 | 16, port: number): number | string {
  if (bytes === 4) return b.readUInt32BE(at) * 65536 + port;
  const u = (i: number): number => b.readUInt16BE(at + i * 2);
  return String.fromCharCode(u(0), u(1), u(2), u(3), u(4), u(5), u(6), u(7), port);
}

/**
 * Address texts by key, made once per address rather than once per packet. Bounded: a
 * capture of a scan or a busy NAT may hold many; past the bound the cache starts over.
 */
const V4_TEXTS = new Map<number, string>();
const V6_TEXTS = new Map<string, string>();
const TEXTS_MAX = 16_384;

function addressText(b: Buffer, at: number, bytes: 4 | 16): string {
  if (bytes === 4) {
    const address = b.readUInt32BE(at);
    let text = V4_TEXTS.get(address);
    if (text === undefined) {
      text = `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
      if (V4_TEXTS.size >= TEXTS_MAX) V4_TEXTS.clear();
      V4_TEXTS.set(address, text);
    }
    return text;
  }
  const address = b.toString('latin1', at, at + 16);
  let text = V6_TEXTS.get(address);
  if (text === undefined) {
    text = ipv6Text(b, at);
    if (V6_TEXTS.size >= TEXTS_MAX) V6_TEXTS.clear();
    V6_TEXTS.set(address, text);
  }
  return text;
}

/** RFC 5952 text: lower case, leading zeros dropped, the longest run of zero groups (two or more) as `::`. */
export function ipv6Text(b: Buffer, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(at + i * 2));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** `host:port`, as the proxy writes client addresses (`remoteAddress:remotePort`, IPv6 too). */
export function endpoint(host: string, port: number): string {
  return `${host}:${port}`;
}
