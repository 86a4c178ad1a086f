/**
 * What a packet capture held and what it lost: the figures `ingest --pcap` prints and
 * that tell whether the capture can be trusted. Plain counters, bumped in the loop.
 */
export interface CaptureQuality {
  /** Packets in the file. */
  packets: number;
  /** Packets that were not TCP over IPv4/IPv6 on a known link layer (ARP, UDP, other link types). */
  otherProtocolPackets: number;
  /** IP fragments: not reassembled (TCP sets don't-fragment; rare even on real networks). */
  fragments: number;
  /** Frames too short for the headers they announce. */
  truncatedFrames: number;
  /** TCP connections seen carrying the wire protocol. */
  connections: number;
  /** TCP connections whose bytes were not the wire protocol (skipped). */
  otherConnections: number;
  /** Connections whose start (SYN) the capture did not hold: they begin at the first whole message. */
  connectionsJoinedMidStream: number;
  /** Open connections closed early because too many were open at once. */
  connectionsEvicted: number;
  /** Whole messages framed. */
  messages: number;
  /** Requests paired with their reply, and either side left without the other. */
  pairs: number;
  unpairedRequests: number;
  unpairedReplies: number;
  /** Holes in a TCP stream (segments the capture lost or the snap length cut) and their bytes. */
  gaps: number;
  lostBytes: number;
  /** Messages the holes cut or swallowed; a hole holding several whole messages counts as one. */
  messagesLost: number;
  /** Whole messages the codec could not decode (a request among them is recorded as a parse error, as the proxy does). */
  undecodable: number;
  /** Retransmitted or duplicated bytes dropped. */
  duplicateBytes: number;
  /** Segments held out of order that arrived within the window. */
  reordered: number;
  /** A header where one must be was not one: the stream lost its framing. */
  desyncs: number;
  /** Framing found again by scanning, and the bytes skipped to find it. */
  resyncs: number;
  resyncSkippedBytes: number;
  /** Streams that ended inside a message. */
  truncatedAtEnd: number;
  /** Messages over the per-connection cap (skipped by their length), and out-of-order windows that overflowed. */
  capHits: number;
}

export function newQuality(): CaptureQuality {
  return {
    packets: 0,
    otherProtocolPackets: 0,
    fragments: 0,
    truncatedFrames: 0,
    connections: 0,
    otherConnections: 0,
    connectionsJoinedMidStream: 0,
    connectionsEvicted: 0,
    messages: 0,
    pairs: 0,
    unpairedRequests: 0,
    unpairedReplies: 0,
    gaps: 0,
    lostBytes: 0,
    messagesLost: 0,
    undecodable: 0,
    duplicateBytes: 0,
    reordered: 0,
    desyncs: 0,
    resyncs: 0,
    resyncSkippedBytes: 0,
    truncatedAtEnd: 0,
    capHits: 0,
  };
}
