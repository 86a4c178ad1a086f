// STAND-IN WIRE SERVER, for the contention benchmark only: not a database. It answers
// the handshake and the hot-counter workload's commands instantly from memory, so
// that a run against it measures the harness's own ceiling (driver + workers +
// histograms), never a server's. Runs as a child process so it does not share the
// harness's event loop. Prints {"port":N} on stdout once listening.
import { createServer, type Socket } from 'node:net';
import { BSON, type Document } from 'mongodb';
import { WireProtocolError } from '../../harness/errors.ts';
import { buildLegacy, buildOpMsg, decodePlainMessage, MessageFramer, OP_CODES, requestToCommand } from '../../harness/wire/index.ts';

const counters = new Map<string, number>();
let nextRequestId = 1;
let connectionId = 0;

function answer(cmd: string, command: Document, conn: number): Document {
  switch (cmd.toLowerCase()) {
    case 'hello':
    case 'ismaster':
      return {
        ismaster: true, isWritablePrimary: true, helloOk: true, maxBsonObjectSize: 16 * 1024 * 1024, maxMessageSizeBytes: 48_000_000,
        maxWriteBatchSize: 100_000, localTime: new Date(), logicalSessionTimeoutMinutes: 30, connectionId: conn, minWireVersion: 0, maxWireVersion: 21, readOnly: false, ok: 1,
      };
    case 'buildinfo':
      return { version: '7.0.0-stand-in', versionArray: [7, 0, 0, 0], ok: 1 };
    case 'getlog':
      return { totalLinesWritten: 0, log: [], ok: 1 };
    case 'insert':
      for (const d of (command.documents as Document[]) ?? []) counters.set(String(d._id), Number(d.n ?? 0));
      return { n: (command.documents as Document[] | undefined)?.length ?? 0, ok: 1 };
    case 'findandmodify': {
      const id = String((command.query as Document | undefined)?._id);
      const n = (counters.get(id) ?? 0) + 1;
      counters.set(id, n);
      return { lastErrorObject: { n: 1, updatedExisting: true }, value: { _id: id, n }, ok: 1 };
    }
    case 'find':
      return { cursor: { id: new BSON.Long(0), ns: `${String(command.$db)}.${String(command.find)}`, firstBatch: [...counters].map(([_id, n]) => ({ _id, n })) }, ok: 1 };
    case 'drop':
    case 'dropdatabase':
      counters.clear();
      return { ok: 1 };
    default:
      // serverStatus, ping, endSessions, createIndexes…: a bare ok.
      return { ok: 1 };
  }
}

function serve(socket: Socket): void {
  const conn = ++connectionId;
  const framer = new MessageFramer();
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => {
    framer.push(chunk, 0, (bytes) => {
      const decoded = decodePlainMessage(bytes);
      if (decoded instanceof WireProtocolError) return socket.destroy();
      const m = decoded.message;
      const logical = requestToCommand(m);
      if (logical instanceof WireProtocolError) return socket.destroy();
      const body = BSON.serialize(answer(logical.cmd, logical.command, conn));
      const requestId = nextRequestId++;
      const parts = m.opCode === OP_CODES.OP_QUERY
        ? buildLegacy({ opCode: OP_CODES.OP_REPLY, requestId, responseTo: m.header.requestId, responseFlags: 0, cursorId: 0n, startingFrom: 0, documents: [Buffer.from(body.buffer, body.byteOffset, body.byteLength)] })
        : buildOpMsg({ requestId, responseTo: m.header.requestId, sections: [{ kind: 0, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) }] });
      socket.cork();
      for (const p of parts) socket.write(p);
      socket.uncork();
    });
  });
  socket.on('error', () => undefined);
}

const server = createServer(serve);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
