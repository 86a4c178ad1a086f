import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { buildPacket, type PacketLayout } from '../../../harness/capture/ingest/traffic/packet.ts';
import { extendCrc32c } from '../../../harness/capture/ingest/traffic/crc32c-stream.ts';
import { MessageFramer } from '../../../harness/wire/index.ts';

/** One wire message seen by the tee, as the server's recorder would have seen it. */
export interface TeeMessage {
  readonly sessionId: bigint;
  readonly session: string;
  /** Microseconds since the epoch. */
  readonly t: number;
  readonly fromClient: boolean;
  readonly message: Buffer;
}

export interface Tee {
  readonly port: number;
  readonly messages: TeeMessage[];
  /** Sockets still open, both sides counted: 0 once every connection has closed and all it carried was seen. */
  readonly openSockets: number;
  stop(): Promise<void>;
}

/**
 * A byte-for-byte socket tee between a driver and a real server: it forwards both
 * directions untouched and keeps every whole message with its session and time, which
 * is exactly what mongod's traffic recorder writes. Not a stand-in for the server.
 */
export async function startTee(upstreamHost: string, upstreamPort: number): Promise<Tee> {
  const messages: TeeMessage[] = [];
  const sockets = new Set<Socket>();
  let nextId = 1n;
  const server: Server = createServer((client) => {
    const sessionId = nextId++;
    const session = `{ remote: "${client.remoteAddress}:${client.remotePort}", local: "${client.localAddress}:${client.localPort}" }`;
    const upstream = connect(upstreamPort, upstreamHost);
    sockets.add(client).add(upstream);
    const nowUs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);
    const record = (fromClient: boolean) => {
      const framer = new MessageFramer();
      return (chunk: Buffer): void => {
        framer.push(chunk, nowUs(), (message, startUs) => messages.push({ sessionId, session, t: startUs, fromClient, message: Buffer.from(message) }));
      };
    };
    const fromClient = record(true);
    const fromServer = record(false);
    client.on('data', (c: Buffer) => {
      fromClient(c);
      upstream.write(c);
    });
    upstream.on('data', (c: Buffer) => {
      fromServer(c);
      client.write(c);
    });
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
  const port = (server.address() as { port: number }).port;
  return {
    port,
    messages,
    get openSockets() {
      return sockets.size;
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface RecordingShape {
  readonly layout: PacketLayout;
  /** `date`: epoch ms (4.2–7.x); `offset`: µs since `startMs` (8.0+). */
  readonly time: 'date' | 'offset';
  /** Epoch ms the recording started (the first file's name in directory form). */
  readonly startMs: number;
}

/** The packets of a recording, in order, with the session start/end events the event layout carries. */
export function buildPackets(messages: readonly TeeMessage[], shape: RecordingShape): Buffer[] {
  const out: Buffer[] = [];
  let order = 0n;
  const started = new Set<bigint>();
  for (const m of messages) {
    const time = shape.time === 'date' ? BigInt(Math.floor(m.t / 1000)) : BigInt(Math.max(0, m.t - shape.startMs * 1000));
    if (shape.layout === 'event' && !started.has(m.sessionId)) {
      started.add(m.sessionId);
      out.push(buildPacket('event', { sessionId: m.sessionId, session: m.session, time, order: ++order, eventType: 1, message: Buffer.alloc(0) }));
    }
    out.push(buildPacket(shape.layout, { sessionId: m.sessionId, session: m.session, time, order: ++order, eventType: 0, message: m.message }));
  }
  return out;
}

/** 4.2 form: one file, no checksum. */
export async function writeSingleFile(path: string, packets: readonly Buffer[]): Promise<void> {
  await writeFile(path, Buffer.concat(packets));
}

/** Later form: a directory of `<ms>.bin` files rotated every `perFile` packets, and checksum.txt. */
export async function writeDirectory(dir: string, packets: readonly Buffer[], startMs: number, perFile: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  let sums = '';
  for (let i = 0, n = 0; i < packets.length; i += perFile, n++) {
    const body = Buffer.concat(packets.slice(i, i + perFile));
    const file = join(dir, `${startMs + n}.bin`);
    await writeFile(file, body);
    files.push(file);
    sums += `${file}\t${extendCrc32c(0, body).toString(16)}\n`;
  }
  await writeFile(join(dir, 'checksum.txt'), sums);
  return files;
}
