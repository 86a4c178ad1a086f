import { MAX_PENDING_REQUESTS, SessionDecoder, type DecoderContext } from '../proxy/decoder.ts';
import { MSG_FLAGS, OP_CODES } from '../../wire/index.ts';
import { MessageCutter } from './cutter.ts';
import { OP_COMMAND, OP_COMMANDREPLY, opCommandAsOpMsg } from '../../wire/index.ts';
import { endpoint, TCP_FLAGS, type TcpSegment } from './packet.ts';
import { newQuality, type CaptureQuality } from './quality.ts';
import { TcpDirection } from './tcp-stream.ts';

export interface ConnectionLimits {
  /** Ports the server listens on (27017 and `--port` values): the other side is the client. */
  readonly serverPorts: ReadonlySet<number>;
  /** Out-of-order bytes held per direction before a hole is given up. */
  readonly windowBytes: number;
  /** Largest message kept per direction; larger ones are skipped by their length and counted. */
  readonly capBytes: number;
  /** Open connections tracked at once; past it the oldest is closed and counted. */
  readonly maxConnections: number;
}

/**
 * Bytes scanned on a connection on no known port without finding one message: past
 * this it is another protocol and is dropped. Generous, so that a wire-protocol
 * connection joined in the middle of a large message is still recognised.
 */
const PROBE_BYTES = 256 * 1024;
/** Four-tuples of closed connections remembered, so that a late retransmission does not open a new one. */
const CLOSED_REMEMBERED = 4096;
/** Request ids remembered per connection to tell a reply without its request: as many as the decoder keeps waiting. */
const PAIRING_IDS = MAX_PENDING_REQUESTS;
/**
 * An empty or consumed slot of a connection's remembered ids. Not 0: request id 0 is a
 * real id (the 3.x shell numbered its first message 0, and its reply answers 0).
 */
const NO_ID = -2147483648;

interface Side {
  /** `host:port`, as records name the client. */
  readonly address: string;
  /** The endpoint's TcpSegment id. */
  readonly id: number | string;
  readonly tcp: TcpDirection;
  readonly cutter: MessageCutter;
}

interface Connection {
  readonly id: string;
  readonly key: string;
  /** The endpoints' ids, the lower first: where the connection is in the index. */
  readonly lo: number | string;
  readonly hi: number | string;
  readonly a: Side;
  readonly b: Side;
  /** Set once known: by port, by who sent the SYN, or by the first message (a request or a reply). */
  client: string | undefined;
  readonly onServerPort: boolean;
  other: boolean;
  packets: number;
  readonly quality: CaptureQuality;
  decoder: SessionDecoder | undefined;
  /** The client's initial sequence number, when its SYN was seen: another SYN is another connection. */
  synSeq: number | undefined;
  readonly ids: number[];
  idsAt: number;
}

/**
 * Every TCP connection of a capture, each direction reassembled (TcpDirection) and cut
 * into messages (MessageCutter), each message handed to the proxy's own session
 * decoder: requests and replies are paired, credentials stripped and values redacted
 * exactly as when recording through the proxy.
 */
export class ConnectionTable {
  /** Open connections by key, oldest first. */
  private readonly open = new Map<string, Connection>();
  /** The same by endpoint ids (lower, then higher): found per packet without making a key. */
  private readonly index = new Map<number | string, Map<number | string, Connection>>();
  /** Closed four-tuples, and whether the connection was another protocol's. */
  private readonly closed = new Map<string, boolean>();
  private readonly closing = new Set<Promise<void>>();
  private next = 1;

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly ctx: DecoderContext,
    readonly quality: CaptureQuality,
  ) {}

  segment(s: TcpSegment, tsUs: number): void {
    // Both endpoints' ids in a fixed order: the same for both directions.
    const srcLower = s.srcId < s.dstId;
    const lo = srcLower ? s.srcId : s.dstId;
    const hi = srcLower ? s.dstId : s.srcId;
    const syn = (s.flags & TCP_FLAGS.SYN) !== 0;
    const ack = (s.flags & TCP_FLAGS.ACK) !== 0;
    let c = this.index.get(lo)?.get(hi);
    if (c && syn && !ack && c.synSeq !== s.seq) {
      // A new connection on the same four-tuple (port reuse) while the old one never showed its end.
      this.close(c, tsUs);
      c = undefined;
    }
    if (!c) {
      const key = `${typeof lo === 'number' ? 'v4' : 'v6'}:${lo}|${hi}`;
      const wasOther = this.closed.get(key);
      if (wasOther !== undefined && !syn) {
        // The last packets of a closed connection, or a retransmission the capture saw late.
        if (wasOther) this.quality.otherProtocolPackets++;
        else this.quality.duplicateBytes += s.payloadLength;
        return;
      }
      // A connection begins with its SYN or its first data; a lone ACK or FIN begins nothing.
      if (!syn && s.payloadLength === 0) return;
      this.closed.delete(key);
      c = this.create(key, lo, hi, s, syn && !ack);
    }
    c.packets++;
    if (c.other) {
      // Not the wire protocol: only its end matters, to stop tracking it.
      if ((s.flags & (TCP_FLAGS.FIN | TCP_FLAGS.RST)) !== 0) this.close(c, tsUs);
      return;
    }
    const from = c.a.id === s.srcId ? c.a : c.b;
    const peer = from === c.a ? c.b : c.a;
    if (syn) {
      if (!ack) c.synSeq = s.seq;
      from.tcp.syn(s.seq);
      if (c.client === undefined) c.client = ack ? peer.address : from.address;
      if (c.onServerPort) from.cutter.startAtBoundary();
    }
    // Before this segment's data: a hole the peer's reply acknowledges is settled first, so a request precedes its reply.
    if (ack) peer.tcp.acked(s.ack, tsUs, s.payloadLength > 0);
    if (s.payloadLength > 0) from.tcp.segment(syn ? (s.seq + 1) >>> 0 : s.seq, s.payload, s.payloadLength, tsUs);
    if ((s.flags & TCP_FLAGS.RST) !== 0) {
      this.close(c, tsUs);
      return;
    }
    if ((s.flags & TCP_FLAGS.FIN) !== 0) {
      from.tcp.end(tsUs);
      if (peer.tcp.ended) {
        this.close(c, tsUs);
        return;
      }
    }
    if (!c.onServerPort && !c.a.cutter.framedAny && !c.b.cutter.framedAny && c.a.cutter.scannedWithoutMessage + c.b.cutter.scannedWithoutMessage > PROBE_BYTES) {
      c.other = true;
      c.decoder = undefined;
    }
  }

  /** The capture ended: every open connection ends as it stands. Resolves once every record is out. */
  async finish(tsUs: number): Promise<void> {
    for (const c of [...this.open.values()]) this.close(c, tsUs);
    await Promise.all([...this.closing]);
  }

  private create(key: string, lo: number | string, hi: number | string, s: TcpSegment, synFromSrc: boolean): Connection {
    const src = endpoint(s.src, s.srcPort);
    const dst = endpoint(s.dst, s.dstPort);
    if (this.open.size >= this.limits.maxConnections) {
      const oldest = this.open.values().next().value!;
      this.quality.connectionsEvicted++;
      this.close(oldest, 0);
    }
    const quality = newQuality();
    const srcServer = this.limits.serverPorts.has(s.srcPort);
    const dstServer = this.limits.serverPorts.has(s.dstPort);
    // The sides' message callbacks close over the connection they belong to, made just after them.
    const made: { conn?: Connection } = {};
    const side = (address: string, endpointId: number | string): Side => {
      const cutter = new MessageCutter(false, this.limits.capBytes, quality, (m, start, end) => this.message(made.conn!, address, m, start, end));
      return { address, id: endpointId, cutter, tcp: new TcpDirection(this.limits.windowBytes, quality, cutter) };
    };
    const c: Connection = {
      id: `pcap:${this.next++}`,
      key,
      lo,
      hi,
      a: side(src, s.srcId),
      b: side(dst, s.dstId),
      client: dstServer && !srcServer ? src : srcServer && !dstServer ? dst : synFromSrc ? src : undefined,
      onServerPort: srcServer || dstServer,
      other: false,
      packets: 0,
      quality,
      decoder: undefined,
      synSeq: undefined,
      ids: new Array<number>(PAIRING_IDS).fill(NO_ID),
      idsAt: 0,
    };
    made.conn = c;
    if (!synFromSrc) quality.connectionsJoinedMidStream = 1;
    this.open.set(key, c);
    let byHi = this.index.get(lo);
    if (!byHi) this.index.set(lo, (byHi = new Map()));
    byHi.set(hi, c);
    return c;
  }

  private message(c: Connection, from: string, m: Buffer, startUs: number, endUs: number): void {
    if (c.other) return;
    c.quality.messages++;
    const requestId = m.readInt32LE(4);
    const responseTo = m.readInt32LE(8);
    const opCode = m.readInt32LE(12);
    const replyShaped = opCode === OP_CODES.OP_REPLY || opCode === OP_COMMANDREPLY || ((opCode === OP_CODES.OP_MSG || opCode === OP_CODES.OP_COMPRESSED) && responseTo !== 0);
    // No port and no SYN said which side is the server: the first message does.
    c.client ??= replyShaped ? (from === c.a.address ? c.b.address : c.a.address) : from;
    const isRequest = from === c.client;
    if (isRequest) this.remember(c, requestId);
    else {
      const i = this.recall(c, responseTo);
      if (i === -1) c.quality.unpairedReplies++;
      else c.ids[i] = NO_ID;
      // Exhaust: the next reply answers this one (a compressed reply's flags are inside; remember it anyway).
      if (opCode === OP_CODES.OP_COMPRESSED || (opCode === OP_CODES.OP_MSG && m.length >= 20 && (m.readUInt32LE(16) & MSG_FLAGS.MORE_TO_COME) !== 0)) this.remember(c, requestId);
    }
    c.decoder ??= new SessionDecoder(this.ctx, c.id, c.client);
    // 3.2-era command messages, which the codec does not know, as the OP_MSG they stand for.
    if (opCode === OP_COMMAND || opCode === OP_COMMANDREPLY) m = opCommandAsOpMsg(m) ?? m;
    c.decoder.decode(m, startUs, isRequest, endUs);
  }

  private remember(c: Connection, id: number): void {
    c.ids[c.idsAt] = id;
    c.idsAt = (c.idsAt + 1) % PAIRING_IDS;
  }

  /** Where the most recent request `id` is remembered, or -1: searched newest first, as a reply mostly answers the last request. */
  private recall(c: Connection, id: number): number {
    for (let n = 0, i = c.idsAt; n < PAIRING_IDS; n++) {
      i = i === 0 ? PAIRING_IDS - 1 : i - 1;
      if (c.ids[i] === id) return i;
    }
    return -1;
  }

  private close(c: Connection, tsUs: number): void {
    if (this.open.get(c.key) === c) {
      this.open.delete(c.key);
      const byHi = this.index.get(c.lo)!;
      byHi.delete(c.hi);
      if (byHi.size === 0) this.index.delete(c.lo);
    }
    if (!c.other) {
      c.a.tcp.end(tsUs);
      c.b.tcp.end(tsUs);
    }
    const isWire = !c.other && (c.onServerPort || c.a.cutter.framedAny || c.b.cutter.framedAny);
    this.closed.set(c.key, !isWire);
    if (this.closed.size > CLOSED_REMEMBERED) this.closed.delete(this.closed.keys().next().value!);
    if (!isWire) {
      this.quality.otherConnections++;
      this.quality.otherProtocolPackets += c.packets;
      return;
    }
    this.quality.connections++;
    addQuality(this.quality, c.quality);
    const p = c.decoder?.close();
    if (p) {
      const tracked = p.finally(() => this.closing.delete(tracked));
      this.closing.add(tracked);
    }
  }
}

/** Per-connection figures into the capture's (the connection's packets are counted where they are read). */
function addQuality(into: CaptureQuality, from: CaptureQuality): void {
  for (const k of Object.keys(from) as (keyof CaptureQuality)[]) if (k !== 'packets') into[k] += from[k];
}
