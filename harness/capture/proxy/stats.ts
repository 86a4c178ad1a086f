/** Plain-number counters, bumped on the hot path and sampled by the status line. */
export interface ProxyStats {
  connectionsOpen: number;
  connectionsTotal: number;
  /** Operations handed to the recorder and accepted. */
  opsRecorded: number;
  /** Operations the recorder could not take (queue full or recorder crashed). */
  dropped: number;
  /** Authentication messages left out on purpose. */
  authSkipped: number;
  /** Messages that did not decode (recorded as parse-error where a request). */
  parseErrors: number;
  bytesFromClients: number;
  bytesFromUpstream: number;
}

export function newStats(): ProxyStats {
  return { connectionsOpen: 0, connectionsTotal: 0, opsRecorded: 0, dropped: 0, authSkipped: 0, parseErrors: 0, bytesFromClients: 0, bytesFromUpstream: 0 };
}

export function formatStatus(s: Readonly<ProxyStats>): string {
  return (
    `proxy: ${s.connectionsOpen} connections open (${s.connectionsTotal} total), ` +
    `${s.opsRecorded} ops recorded, ${s.dropped} dropped, ${s.parseErrors} undecodable, ` +
    `${mb(s.bytesFromClients)} in, ${mb(s.bytesFromUpstream)} out`
  );
}

function mb(n: number): string {
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
