// STAND-IN WIRE SERVER for `npm run bench -- replay`: NOT a database. It speaks just
// enough of the wire protocol (handshake over OP_QUERY → OP_REPLY, every command over
// OP_MSG) to answer instantly from memory, so the benchmark measures the replayer's own
// ceiling rather than a server's. Runs as its own process (the other core), prints
// {"port":…} on stdout.
import { createServer, type Socket } from 'node:net';
import { BSON } from 'mongodb';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

const HELLO = {
  helloOk: true,
  ismaster: true,
  isWritablePrimary: true,
  maxBsonObjectSize: 16 * 1024 * 1024,
  maxMessageSizeBytes: 48_000_000,
  maxWriteBatchSize: 100_000,
  logicalSessionTimeoutMinutes: 30,
  minWireVersion: 0,
  maxWireVersion: 21,
  ok: 1,
};
const DOCS = [{ _id: 1, name: 'a', n: 1 }];

function reply(command: BSON.Document): BSON.Document {
  const name = Object.keys(command)[0] ?? '';
  switch (name.toLowerCase()) {
    case 'hello':
    case 'ismaster':
      return { ...HELLO, localTime: new Date(), connectionId: 1 };
    case 'find':
    case 'aggregate':
      return { cursor: { firstBatch: DOCS, id: BSON.Long.ZERO, ns: `${String(command.$db)}.${String(command[name])}` }, ok: 1 };
    case 'count':
      return { n: 1, ok: 1 };
    default:
      return { ok: 1 };
  }
}

let nextId = 1;
function header(length: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.allocUnsafe(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(nextId++, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

function handle(socket: Socket, msg: Buffer): void {
  const requestId = msg.readInt32LE(4);
  const opCode = msg.readInt32LE(12);
  if (opCode === OP_MSG) {
    // flagBits(4), then section kind 0 holds the body (kind-1 sequences are not needed here).
    const body = BSON.deserialize(msg.subarray(21, 21 + msg.readInt32LE(21)));
    const doc = BSON.serialize(reply(body));
    const prefix = Buffer.alloc(5); // flagBits 0, section kind 0
    socket.write(Buffer.concat([header(16 + 5 + doc.length, requestId, OP_MSG), prefix, doc]));
  } else if (opCode === OP_QUERY) {
    let p = 20;
    while (msg[p] !== 0) p++;
    p += 1 + 8; // cstring, numberToSkip, numberToReturn
    const query = BSON.deserialize(msg.subarray(p, p + msg.readInt32LE(p)));
    const doc = BSON.serialize(reply(query));
    const fields = Buffer.alloc(20); // responseFlags, cursorID, startingFrom, numberReturned
    fields.writeInt32LE(1, 16);
    socket.write(Buffer.concat([header(16 + 20 + doc.length, requestId, OP_REPLY), fields, doc]));
  } else socket.destroy();
}

const server = createServer((socket) => {
  socket.setNoDelay(true);
  let buf: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 4) {
      const len = buf.readInt32LE(0);
      if (len < 16) return void socket.destroy();
      if (buf.length < len) break;
      handle(socket, buf.subarray(0, len));
      buf = buf.subarray(len);
    }
  });
  socket.on('error', () => undefined);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
