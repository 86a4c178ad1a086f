import net from 'node:net';

/**
 * A TCP relay in front of a real server that rewrites bytes of the requests it
 * passes: every occurrence of `from` in a whole wire message becomes `to` (same
 * length, so message and BSON lengths stay right). A server behind it applies a
 * write differently while its replies look the same, as a version whose update
 * semantics changed would.
 */
export interface RewritingRelay {
  readonly port: number;
  readonly uri: string;
  /** Messages in which a rewrite happened. */
  rewrites: number;
  stop(): Promise<void>;
}

export async function startRewritingRelay(host: string, port: number, from: string, to: string): Promise<RewritingRelay> {
  const a = Buffer.from(from);
  const b = Buffer.from(to);
  if (a.length !== b.length) throw new Error('rewrite must keep the length');
  const sockets = new Set<net.Socket>();
  const relay: RewritingRelay = {
    port: 0,
    uri: '',
    rewrites: 0,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // Whole messages only (the length prefix), so a pattern cut across chunks is still found.
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const len = pending.readInt32LE(0);
        const msg = Buffer.from(pending.subarray(0, len));
        pending = pending.subarray(len);
        let at = msg.indexOf(a);
        if (at >= 0) relay.rewrites++;
        while (at >= 0) {
          b.copy(msg, at);
          at = msg.indexOf(a, at + a.length);
        }
        upstream.write(msg);
      }
    });
    upstream.pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const p = (server.address() as net.AddressInfo).port;
  return Object.assign(relay, { port: p, uri: `mongodb://127.0.0.1:${p}/?directConnection=true` });
}
