import net from 'node:net';
import { BSON } from 'mongodb';
import { newHistogram, recordUs } from '../../harness/model/histogram.ts';
import { buildOpMsg, MessageFramer } from '../../harness/wire/index.ts';

/**
 * Closed-loop load: `connections` sockets, each sending one small request (find and
 * insert alternately) and waiting for its reply before the next. Requests are built
 * once; only the requestID changes. Latency is request write to full reply, in µs.
 */
const FIND = Buffer.from(BSON.serialize({ find: 'items', filter: { sku: 'abc-123' }, limit: 1, $db: 'bench' }));
const INSERT = Buffer.from(BSON.serialize({ insert: 'items', documents: [{ sku: 'abc-123', qty: 7, tags: ['a', 'b'] }], ordered: true, $db: 'bench' }));
export const REQUESTS = [FIND, INSERT].map((body) => Buffer.concat(buildOpMsg({ requestId: 0, sections: [{ kind: 0, body }] })));

export interface LoadResult {
  ops: number;
  seconds: number;
  p50: number;
  p99: number;
}

export async function runLoad(port: number, connections: number, durationMs: number, warmupMs: number): Promise<LoadResult> {
  const hist = newHistogram();
  let ops = 0;
  let measuring = false;
  let stopping = false;
  const sockets: net.Socket[] = [];
  const done: Promise<void>[] = [];
  for (let c = 0; c < connections; c++) {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    sockets.push(socket);
    done.push(
      new Promise<void>((resolve) => {
        let i = c;
        let sentAt = 0;
        const framer = new MessageFramer();
        const send = () => {
          if (stopping) return resolve();
          const req = Buffer.from(REQUESTS[i++ % 2]!);
          req.writeInt32LE(i, 4);
          sentAt = performance.now();
          socket.write(req);
        };
        socket.on('data', (chunk: Buffer) =>
          framer.push(chunk, 0, () => {
            if (measuring) {
              ops++;
              recordUs(hist, (performance.now() - sentAt) * 1000);
            }
            send();
          }),
        );
        socket.on('error', () => resolve());
        socket.once('connect', send);
      }),
    );
  }
  await sleep(warmupMs);
  measuring = true;
  const t0 = performance.now();
  await sleep(durationMs);
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  stopping = true;
  await Promise.race([Promise.all(done), sleep(2000)]);
  for (const s of sockets) s.destroy();
  return { ops, seconds, p50: hist.getValueAtPercentile(50), p99: hist.getValueAtPercentile(99) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
