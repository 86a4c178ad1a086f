import net from 'node:net';

/**
 * A plain TCP relay that keeps every byte it passes, per connection and direction, so
 * a test can prove that what one hop received is exactly what the next hop sent.
 */
export interface TapConnection {
  readonly up: Buffer[];
  readonly down: Buffer[];
}

export interface Tap {
  readonly address: string;
  readonly port: number;
  readonly connections: TapConnection[];
  /** Sockets still open, both sides counted: 0 once every connection has closed and all it carried was kept. */
  readonly openSockets: number;
  /** Sends new connections to another port (an upstream restarted elsewhere). */
  retarget(port: number): void;
  /** Cuts every open connection, as a dying server would. */
  cutAll(): void;
  stop(): Promise<void>;
}

export async function startTap(targetHost: string, targetPort: number): Promise<Tap> {
  const connections: TapConnection[] = [];
  let currentPort = targetPort;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const conn: TapConnection = { up: [], down: [] };
    connections.push(conn);
    const upstream = net.connect(currentPort, targetHost);
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => conn.up.push(Buffer.from(d)));
    upstream.on('data', (d: Buffer) => conn.down.push(Buffer.from(d)));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    connections,
    get openSockets() {
      return sockets.size;
    },
    retarget: (p) => {
      currentPort = p;
    },
    cutAll: () => {
      for (const s of sockets) s.destroy();
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Each connection's bytes in one direction, joined, as sorted hex digests (connection order may differ between hops). */
export function streamDigests(conns: readonly TapConnection[], dir: 'up' | 'down'): string[] {
  return conns.map((c) => Buffer.concat(c[dir]).toString('base64')).sort();
}

/**
 * Checks hop-to-hop byte identity: every connection of `near` (the app side) has a
 * partner in `far` (the server side) with exactly the same request bytes, and the app
 * received exactly the server's reply bytes, except that a client that hangs up
 * first (drivers do not wait for endSessions' reply) may miss the server's last ones.
 * Returns a description of the first mismatch, or undefined.
 */
export function compareHops(near: readonly TapConnection[], far: readonly TapConnection[]): string | undefined {
  if (near.length !== far.length) return `${near.length} connections on the app side, ${far.length} on the server side`;
  const left = [...far];
  for (const [i, c] of near.entries()) {
    const up = Buffer.concat(c.up);
    const at = left.findIndex((f) => Buffer.concat(f.up).equals(up));
    if (at === -1) return `connection ${i}: request bytes differ from every server-side connection`;
    const partner = left.splice(at, 1)[0]!;
    const down = Buffer.concat(c.down);
    const farDown = Buffer.concat(partner.down);
    if (!farDown.subarray(0, down.length).equals(down)) return `connection ${i}: reply bytes differ`;
  }
  return undefined;
}
