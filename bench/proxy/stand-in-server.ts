import net from 'node:net';
import { BSON } from 'mongodb';
import { buildOpMsg, MessageFramer } from '../../harness/wire/index.ts';

/**
 * STAND-IN WIRE SERVER, for this benchmark only: it is not a database. It answers
 * every OP_MSG at once with a fixed small reply (a one-document find batch or an
 * insert acknowledgement, chosen by the request's first key), so the measured time is
 * the harness's own overhead and not a server's. The reply body is serialised once;
 * only the header (requestID/responseTo) is written per reply.
 */
const FIND_REPLY = Buffer.from(BSON.serialize({ cursor: { firstBatch: [{ _id: 1, sku: 'abc-123', qty: 7, tags: ['a', 'b'] }], id: BSON.Long.fromNumber(0), ns: 'bench.items' }, ok: 1 }));
const INSERT_REPLY = Buffer.from(BSON.serialize({ n: 1, ok: 1 }));

export async function startStandInServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    const framer = new MessageFramer();
    let replyId = 1;
    socket.on('data', (chunk: Buffer) => {
      framer.push(chunk, 0, (m) => {
        // Body starts after header (16), flags (4) and the section kind byte (1); its first key's type byte, then name.
        const isFind = m.length > 26 && m[26] === 0x66; /* 'f' */
        const parts = buildOpMsg({ requestId: replyId++, responseTo: m.readInt32LE(4), sections: [{ kind: 0, body: isFind ? FIND_REPLY : INSERT_REPLY }] });
        socket.cork();
        for (const p of parts) socket.write(p);
        socket.uncork();
      });
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
