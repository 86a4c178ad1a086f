import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { BSON, type Document } from 'mongodb';
import { buildOpMsg, MessageFramer, parseMessage, type OpMsg } from '../../harness/wire/index.ts';

/**
 * An in-process OP_MSG peer on 127.0.0.1 (no database): it answers the handshake with
 * `handshake` (none when null), and hands every other request to `onRequest`.
 */
export interface Peer {
  readonly port: number;
  readonly requests: OpMsg[];
  onRequest: (msg: OpMsg, socket: Socket) => void;
  handshake: Document | null;
  close(): Promise<void>;
}

export function reply(socket: Socket, to: OpMsg, body: Document): void {
  socket.write(Buffer.concat(buildOpMsg({ requestId: 1, responseTo: to.header.requestId, sections: [{ kind: 0, body: Buffer.from(BSON.serialize(body)) }] })));
}

export async function startPeer(): Promise<Peer> {
  const sockets = new Set<Socket>();
  const peer = {
    requests: [] as OpMsg[],
    onRequest: (msg: OpMsg, socket: Socket) => reply(socket, msg, { ok: 1 }),
    handshake: { ismaster: true, ok: 1 } as Document | null,
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const framer = new MessageFramer();
    socket.on('data', (chunk: Buffer) => {
      framer.push(chunk, 0, (m) => {
        const msg = parseMessage(Buffer.from(m)) as OpMsg;
        const first = msg.sections[0]!;
        const isHandshake = first.kind === 0 && BSON.deserialize(first.body).isMaster !== undefined;
        if (!isHandshake) {
          peer.requests.push(msg);
          peer.onRequest(msg, socket);
        } else if (peer.handshake) reply(socket, msg, peer.handshake);
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return Object.assign(peer, {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  });
}
