import net from 'node:net';
import { BSON } from 'mongodb';
import {
  buildOpMsg,
  compressMessage,
  decodeMessage,
  decodeBson,
  MessageFramer,
  OP_CODES,
  type CompressorName,
} from '../../harness/wire/index.ts';

/**
 * A relay in front of a real server that does not negotiate wire compression
 * (FerretDB 1.24 ignores hello's `compression` list). It answers hello with the
 * compressors the client asked for, inflates compressed requests for the server and
 * compresses replies the way the request came, as a MongoDB server would
 * (compression spec). Test helper only: the data still comes from the real server.
 */
export async function startCompressionShim(targetHost: string, targetPort: number): Promise<{ address: string; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    const fromClient = new MessageFramer();
    const fromServer = new MessageFramer();
    const pending = new Map<number, { compressor?: CompressorName; offer?: string[] }>();
    let chain = Promise.resolve();
    const ordered = (fn: () => Promise<void>) => (chain = chain.then(fn).catch(() => void client.destroy()));
    client.on('data', (chunk: Buffer) => {
      fromClient.push(chunk, 0, (m) => {
        const own = Buffer.from(m);
        ordered(async () => {
          const d = await decodeMessage(own);
          if (d instanceof Error) throw d;
          const info: { compressor?: CompressorName; offer?: string[] } = d.compressor ? { compressor: d.compressor } : {};
          if (d.message.opCode === OP_CODES.OP_MSG) {
            const body = d.message.sections.find((s) => s.kind === 0);
            const doc = body?.kind === 0 ? decodeBson(body.body) : {};
            if ((doc.hello || doc.isMaster || doc.ismaster) && Array.isArray(doc.compression)) info.offer = doc.compression as string[];
          } else if (d.message.opCode === OP_CODES.OP_QUERY) {
            const doc = decodeBson(d.message.query);
            const q = (doc.$query ?? doc) as Record<string, unknown>;
            if (Array.isArray(q.compression)) info.offer = q.compression as string[];
          }
          pending.set(d.message.header.requestId, info);
          const plain = d.compressor ? await inflateWhole(own) : own;
          upstream.write(plain);
        });
      });
    });
    upstream.on('data', (chunk: Buffer) => {
      fromServer.push(chunk, 0, (m) => {
        const own = Buffer.from(m);
        ordered(async () => {
          const info = pending.get(own.readInt32LE(8));
          let out: Buffer = own;
          if (info?.offer && own.readInt32LE(12) === OP_CODES.OP_MSG) out = withCompression(own, info.offer);
          else if (info?.offer && own.readInt32LE(12) === OP_CODES.OP_REPLY) out = withCompressionReply(own, info.offer);
          if (info?.compressor) out = await compressMessage(out, info.compressor);
          client.write(out);
        });
      });
    });
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
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const SUPPORTED = ['snappy', 'zlib', 'zstd'];

async function inflateWhole(message: Buffer): Promise<Buffer> {
  const d = await decodeMessage(message);
  if (d instanceof Error) throw d;
  const m = d.message;
  // Re-serialise the decompressed request as the client built it (checksum flag dropped: none is sent compressed).
  if (m.opCode === OP_CODES.OP_MSG) {
    return Buffer.concat(buildOpMsg({ requestId: m.header.requestId, responseTo: m.header.responseTo, flags: m.flags & ~1, sections: m.sections }));
  }
  throw new Error(`compression shim: cannot relay compressed opCode ${m.opCode}`);
}

function withCompression(reply: Buffer, offer: readonly string[]): Buffer {
  const flags = reply.readUInt32LE(16);
  const body = decodeBson(reply.subarray(21));
  body.compression = offer.filter((c) => SUPPORTED.includes(c));
  return Buffer.concat(buildOpMsg({ requestId: reply.readInt32LE(4), responseTo: reply.readInt32LE(8), flags, sections: [{ kind: 0, body: Buffer.from(BSON.serialize(body)) }] }));
}

function withCompressionReply(reply: Buffer, offer: readonly string[]): Buffer {
  const doc = decodeBson(reply.subarray(36));
  doc.compression = offer.filter((c) => SUPPORTED.includes(c));
  const body = Buffer.from(BSON.serialize(doc));
  const head = Buffer.from(reply.subarray(0, 36));
  head.writeInt32LE(36 + body.length, 0);
  return Buffer.concat([head, body]);
}
