// STAND-IN WIRE SERVER for `npm run bench -- replay`: NOT a database. It speaks just
// enough of the wire protocol (handshake over OP_QUERY → OP_REPLY, every command over
// OP_MSG) to answer instantly from memory, so the benchmark measures the replayer's own
// ceiling rather than a server's. Runs as its own process (the other core), prints
// {"port":…} on stdout. Replies have the real shapes and realistic sizes: finds and
// aggregates return cursors of 1 KiB documents (a find with a batchSize leaves its cursor
// open for one getMore), writes return their counts, findAndModify its document, so the
// replayer parses, digests and compares what it would against a server.
//
// It shares the machine's two cores with the process it measures, so every microsecond
// it spends is taken from the replayer: replies are serialised once at start-up per
// command kind, and a request is not decoded beyond its header and the first key of the
// body (the command name). Per reply the work is: copy the precomputed message, patch
// requestID/responseTo, one write per batch of replies that arrived in one chunk.
// Profiled: the former version (deserialize + serialize + Buffer.concat per message)
// spent ~85 µs of CPU per command, most of it in BSON.
import { createServer } from 'node:net';
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
  localTime: new Date(),
  connectionId: 1,
  ok: 1,
};
/** Documents of about 1 KiB, as an application's rows are (the replay parses and digests them). */
const doc = (i: number): BSON.Document => ({ _id: i, name: `item-${i}`, price: { amount: 10 + i, currency: 'EUR' }, tags: ['a', 'b'], text: 'x'.repeat(900) });
const batch = (from: number, n: number): BSON.Document[] => Array.from({ length: n }, (_, i) => doc(from + i));
// The namespace is fixed (the bench capture reads bench.items); the driver does not check it.
const NS = 'bench.items';
/** The cursor id a find with a batchSize gets: its getMore then ends the cursor. */
const OPEN_CURSOR = BSON.Long.fromNumber(4242);

/** A whole reply message (header + body) with requestID/responseTo left to patch. */
function opMsg(doc: BSON.Document): Buffer {
  const body = BSON.serialize(doc);
  const m = Buffer.alloc(16 + 5 + body.length); // flagBits 0, section kind 0
  m.writeInt32LE(m.length, 0);
  m.writeInt32LE(OP_MSG, 12);
  m.set(body, 21);
  return m;
}
function opReply(doc: BSON.Document): Buffer {
  const body = BSON.serialize(doc);
  const m = Buffer.alloc(16 + 20 + body.length); // responseFlags, cursorID, startingFrom, numberReturned
  m.writeInt32LE(m.length, 0);
  m.writeInt32LE(OP_REPLY, 12);
  m.writeInt32LE(1, 32);
  m.set(body, 36);
  return m;
}

/** Replies as a server shapes them, one per command kind. */
const MSG = {
  hello: opMsg(HELLO),
  /** A find by `_id`: one document, cursor exhausted. */
  find: opMsg({ cursor: { firstBatch: batch(1, 1), id: BSON.Long.ZERO, ns: NS }, ok: 1 }),
  /** A find with a batchSize: the first batch, cursor left open for one getMore. */
  findBatch: opMsg({ cursor: { firstBatch: batch(1, 2), id: OPEN_CURSOR, ns: NS }, ok: 1 }),
  /** A find that matches nothing: the write guard's canary lookups (replay --allow-writes). */
  findEmpty: opMsg({ cursor: { firstBatch: [], id: BSON.Long.ZERO, ns: NS }, ok: 1 }),
  getMore: opMsg({ cursor: { nextBatch: batch(3, 2), id: BSON.Long.ZERO, ns: NS }, ok: 1 }),
  aggregate: opMsg({ cursor: { firstBatch: batch(1, 3), id: BSON.Long.ZERO, ns: NS }, ok: 1 }),
  write: opMsg({ n: 1, ok: 1 }),
  update: opMsg({ n: 1, nModified: 1, ok: 1 }),
  findAndModify: opMsg({ lastErrorObject: { n: 1, updatedExisting: true }, value: doc(1), ok: 1 }),
  killCursors: opMsg({ cursorsKilled: [OPEN_CURSOR], cursorsNotFound: [], cursorsAlive: [], cursorsUnknown: [], ok: 1 }),
  count: opMsg({ n: 1, ok: 1 }),
  ok: opMsg({ ok: 1 }),
};
const REPLY_HELLO = opReply(HELLO);
const BATCH_SIZE = Buffer.from('batchSize\u0000', 'latin1');
/** The write guard's canary collections (harness/replay/identity.ts): never "found" here, so two stand-ins count as two servers. */
const CANARY = Buffer.from('canary_', 'latin1');

/** The command name: the key of the body's first element (int32 length at `at`, then a type byte, then the key as a cstring). */
function commandName(msg: Buffer, at: number): string {
  const start = at + 5;
  const end = msg.indexOf(0, start);
  return end < 0 ? '' : msg.toString('latin1', start, end);
}

function pick(name: string, msg: Buffer, body: number): Buffer {
  switch (name) {
    case 'find':
      // A batchSize key in the body (found as bytes: no decode).
      if (msg.indexOf(CANARY, body) > 0) return MSG.findEmpty;
      return msg.indexOf(BATCH_SIZE, body) > 0 ? MSG.findBatch : MSG.find;
    case 'getMore':
      return MSG.getMore;
    case 'aggregate':
      return MSG.aggregate;
    case 'insert':
    case 'delete':
      return MSG.write;
    case 'update':
      return MSG.update;
    case 'findAndModify':
      return MSG.findAndModify;
    case 'killCursors':
      return MSG.killCursors;
    case 'count':
      return MSG.count;
    case 'hello':
    case 'isMaster':
    case 'ismaster':
      return MSG.hello;
    default:
      return MSG.ok;
  }
}

let nextId = 1;
/** Appends the reply to `out`: a copy of the template with requestID and responseTo patched. */
function answer(msg: Buffer, out: Buffer[]): boolean {
  const requestId = msg.readInt32LE(4);
  const opCode = msg.readInt32LE(12);
  let template: Buffer;
  // header(16) + flagBits(4), section kind byte at 20, the body document from 21.
  if (opCode === OP_MSG) template = pick(commandName(msg, 21), msg, 21);
  else if (opCode === OP_QUERY) template = REPLY_HELLO; // only the legacy handshake comes over OP_QUERY
  else return false;
  const r = Buffer.allocUnsafe(template.length);
  template.copy(r);
  r.writeInt32LE(nextId++, 4);
  r.writeInt32LE(requestId, 8);
  out.push(r);
  return true;
}

const server = createServer((socket) => {
  socket.setNoDelay(true);
  let buf: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    const out: Buffer[] = [];
    while (buf.length >= 4) {
      const len = buf.readInt32LE(0);
      if (len < 16) return void socket.destroy();
      if (buf.length < len) break;
      if (!answer(buf.subarray(0, len), out)) return void socket.destroy();
      buf = buf.subarray(len);
    }
    if (out.length === 1) socket.write(out[0]!);
    else if (out.length > 1) socket.write(Buffer.concat(out));
  });
  socket.on('error', () => undefined);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
