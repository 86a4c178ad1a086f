/** Plain-number counters, bumped on the hot path and sampled by the status line. */
export interface ProxyStats {
  connectionsOpen: number;
  connectionsTotal: number;
  /** Operations handed to the recorder and accepted. */
  opsRecorded: number;
  /** Operations the recorder could not take (queue full or recorder crashed), and messages let go for want of buffer budget. */
  dropped: number;
  /** Authentication messages left out on purpose. */
  authSkipped: number;
  /** Messages that did not decode (recorded as parse-error where a request), and connections closed for an undecodable stream. */
  parseErrors: number;
  bytesFromClients: number;
  bytesFromUpstream: number;
  /** Connections refused at --max-connections. */
  connectionsRefused: number;
  /** Connections closed because a message stayed unfinished past the limit. */
  connectionsStalled: number;
  /** Bytes of unfinished messages held now, their peak, and the budget. */
  bufferedBytes: number;
  bufferedPeakBytes: number;
  bufferBudgetBytes: number;
  /** Messages forwarded but not recorded because the buffer budget was full. */
  overBudget: number;
  /** Replica-set members announced in hello that the proxy has no listener for (their traffic bypasses it). */
  unmappedMembers: number;
}

export function newStats(): ProxyStats {
  return {
    connectionsOpen: 0,
    connectionsTotal: 0,
    opsRecorded: 0,
    dropped: 0,
    authSkipped: 0,
    parseErrors: 0,
    bytesFromClients: 0,
    bytesFromUpstream: 0,
    connectionsRefused: 0,
    connectionsStalled: 0,
    bufferedBytes: 0,
    bufferedPeakBytes: 0,
    bufferBudgetBytes: 0,
    overBudget: 0,
    unmappedMembers: 0,
  };
}

export function formatStatus(s: Readonly<ProxyStats>): string {
  const budget = Number.isFinite(s.bufferBudgetBytes) && s.bufferBudgetBytes > 0 ? ` of ${mb(s.bufferBudgetBytes)}` : '';
  return (
    `proxy: ${s.connectionsOpen} connections open (${s.connectionsTotal} total, ${s.connectionsRefused} refused, ${s.connectionsStalled} closed stalled), ` +
    `${s.opsRecorded} ops recorded, ${s.dropped} dropped (${s.overBudget} over the buffer budget), ${s.parseErrors} undecodable, ` +
    `buffered ${mb(s.bufferedBytes)}${budget} (peak ${mb(s.bufferedPeakBytes)}), ` +
    `${mb(s.bytesFromClients)} in, ${mb(s.bytesFromUpstream)} out` +
    (s.unmappedMembers > 0 ? `, ${s.unmappedMembers} member(s) without a listener (not recorded)` : '')
  );
}

function mb(n: number): string {
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
