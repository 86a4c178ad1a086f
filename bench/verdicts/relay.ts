import net from 'node:net';
import { BSON } from 'mongodb';

/**
 * A TCP relay in front of a server that makes it slower on one query shape and on
 * nothing else. Requests are forwarded as they arrive; each whole request is read
 * (OP_MSG body section) and, when `match` accepts its command, the reply answering it
 * (by `responseTo`) is held back so that the request's time at the relay becomes
 * `factor` × what the server took: a reply that took 2 ms waits 1 ms more at 1.5×.
 * Replies on one connection keep their order.
 *
 *   client ──bytes, forwarded at once──▶ relay ──▶ server
 *          ◀──reply (held when matched)── relay ◀──
 *
 * The factor is relative to each request's own service time rather than a fixed delay
 * taken from a calibration run: on a shared machine the service time drifts twofold
 * within minutes, and a fixed delay would inject 1.3× at one moment and 2× at the next.
 * With `factor` 1 it only adds the hop, so a baseline placed behind one pays the same
 * hop as the candidate and the difference between them is the injected slowdown alone.
 *
 * With a `reference` relay (the baseline's), the held reply waits until `factor` × the
 * time the *reference* server took for the same request (matched by the command's filter
 * and how many times that filter came before): the injected slowdown is then relative to
 * the baseline whatever the candidate server's own speed, so a candidate process that
 * happens to run slower or faster on the shared machine neither adds to it nor hides it.
 */
export interface DelayRelay {
  readonly port: number;
  /** Connection string of the relay (directConnection, no credentials). */
  readonly uri: string;
  /** Requests whose command `match` accepted, replies held back for them and the time added (µs). */
  readonly counts: { matched: number; delayed: number; addedUs: number; compressed: number };
  /** The server's time (µs, as the relay sees it) of each matched request since the last `reset()`. */
  readonly serviceUs: number[];
  reset(): void;
  /** Time at the relay of a matched request ÷ the server's time; 1: no delay. */
  factor: number;
  /** Calls `fn` with the server's time (ns) of the matched request `key` once it is known. */
  timeOf(key: string, fn: (ns: bigint) => void): void;
  stop(): Promise<void>;
}

/** Which occurrence of a filter a matched request is: the same on every relay the replay sends it to. */
function keyOf(command: BSON.Document, seen: Map<string, number>): string {
  const filter = BSON.EJSON.stringify(command.filter ?? {}, { relaxed: false });
  const n = (seen.get(filter) ?? 0) + 1;
  seen.set(filter, n);
  return `${filter}#${n}`;
}

/** How long a held reply waits for the reference's time before it falls back to its own. */
const REFERENCE_WAIT_NS = 5_000_000_000n;

const OP_MSG = 2013;
const OP_COMPRESSED = 2012;

export async function startDelayRelay(
  upstream: { host: string; port: number },
  match: (command: BSON.Document) => boolean,
  factor = 1,
  options: { reference?: DelayRelay } = {},
): Promise<DelayRelay> {
  const sockets = new Set<net.Socket>();
  const counts = { matched: 0, delayed: 0, addedUs: 0, compressed: 0 };
  /** Matched requests' server times by key, and who waits for one. */
  const times = new Map<string, bigint>();
  const waiting = new Map<string, ((ns: bigint) => void)[]>();
  const seen = new Map<string, number>();
  const publish = (key: string, ns: bigint): void => {
    times.set(key, ns);
    for (const fn of waiting.get(key) ?? []) fn(ns);
    waiting.delete(key);
  };
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const up = net.connect({ host: upstream.host, port: upstream.port, noDelay: true });
    sockets.add(client).add(up);
    /** requestId → when the request reached the relay (hrtime ns) and its key. */
    const held = new Map<number, { sent: bigint; key: string }>();
    /** Replies in order; `at` null while the reference's time is awaited. */
    const queue: { msg: Buffer; at: bigint | null }[] = [];
    let timer = false;
    const pump = (): void => {
      timer = false;
      while (queue.length > 0) {
        const head = queue[0]!;
        if (head.at === null) return; // released when the reference's time arrives
        if (head.at > process.hrtime.bigint()) {
          timer = true;
          waitUntil(head.at, pump);
          return;
        }
        queue.shift();
        client.write(head.msg);
      }
    };
    const release = (entry: { at: bigint | null }, at: bigint, now: bigint): void => {
      const addNs = at - now;
      if (addNs > 0n) {
        counts.delayed++;
        counts.addedUs += Number(addNs) / 1000;
      }
      entry.at = at;
      if (!timer) pump();
    };
    const requests = framer((msg) => {
      const command = commandOf(msg, counts);
      if (command !== undefined && match(command)) {
        counts.matched++;
        held.set(msg.readInt32LE(4), { sent: process.hrtime.bigint(), key: keyOf(command, seen) });
      }
    });
    const replies = framer((msg) => {
      const now = process.hrtime.bigint();
      const responseTo = msg.readInt32LE(8);
      const req = held.get(responseTo);
      if (req === undefined || relay.factor <= 1) {
        if (req !== undefined) {
          held.delete(responseTo);
          relay.serviceUs.push(Number(now - req.sent) / 1000);
          publish(req.key, now - req.sent);
        }
        if (queue.length === 0) client.write(msg);
        else queue.push({ msg, at: now });
        return;
      }
      held.delete(responseTo);
      const own = now - req.sent;
      relay.serviceUs.push(Number(own) / 1000);
      publish(req.key, own);
      const scaled = (ns: bigint): bigint => BigInt(Math.round(Number(ns) * relay.factor));
      const entry: { msg: Buffer; at: bigint | null } = { msg, at: null };
      queue.push(entry);
      const ref = options.reference;
      if (!ref) return release(entry, req.sent + scaled(own), now);
      let done = false;
      const fallback = setTimeout(() => {
        if (done) return;
        done = true;
        release(entry, req.sent + scaled(own), process.hrtime.bigint());
      }, Number(REFERENCE_WAIT_NS / 1_000_000n));
      ref.timeOf(req.key, (refNs) => {
        if (done) return;
        done = true;
        clearTimeout(fallback);
        release(entry, req.sent + scaled(refNs), process.hrtime.bigint());
      });
    });
    const end = (): void => {
      client.destroy();
      up.destroy();
      sockets.delete(client);
      sockets.delete(up);
    };
    // A stream that does not frame is no wire protocol: drop the connection, as a server would.
    client.on('data', (chunk: Buffer) => {
      up.write(chunk);
      guard(requests, chunk, end);
    });
    up.on('data', (chunk: Buffer) => guard(replies, chunk, end));
    client.on('close', end).on('error', end);
    up.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  const relay: DelayRelay = {
    port,
    uri: `mongodb://127.0.0.1:${port}/?directConnection=true`,
    counts,
    factor,
    serviceUs: [],
    reset() {
      Object.assign(counts, { matched: 0, delayed: 0, addedUs: 0, compressed: 0 });
      relay.serviceUs.length = 0;
      times.clear();
      waiting.clear();
      seen.clear();
    },
    timeOf(key, fn) {
      const ns = times.get(key);
      if (ns !== undefined) fn(ns);
      else waiting.set(key, [...(waiting.get(key) ?? []), fn]);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return relay;
}

function guard(fn: (chunk: Buffer) => void, chunk: Buffer, end: () => void): void {
  try {
    fn(chunk);
  } catch {
    end();
  }
}

/** Whole wire messages out of a byte stream (length prefix); copies only a message cut across chunks. */
function framer(onMessage: (msg: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer | undefined;
  return (chunk) => {
    let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = undefined;
    while (buf.length >= 4) {
      const len = buf.readInt32LE(0);
      if (len < 16) throw new Error(`relay: bad message length ${len}`);
      if (buf.length < len) break;
      onMessage(buf.subarray(0, len));
      buf = buf.subarray(len);
    }
    if (buf.length > 0) pending = Buffer.from(buf);
  };
}

/** The command document (body section) of an OP_MSG; undefined for anything else. */
function commandOf(msg: Buffer, counts: { compressed: number }): BSON.Document | undefined {
  const opCode = msg.readInt32LE(12);
  if (opCode === OP_COMPRESSED) counts.compressed++;
  if (opCode !== OP_MSG) return undefined;
  let at = 20;
  while (at < msg.length) {
    const kind = msg[at]!;
    const size = msg.readInt32LE(at + 1);
    if (kind === 0) return BSON.deserialize(msg.subarray(at + 1, at + 1 + size));
    at += 1 + size;
  }
  return undefined;
}

/**
 * Calls `fn` at `deadline` (hrtime ns) to within tens of microseconds: a timer for
 * all but the last 1.5 ms, then turns of the event loop. Injected delays go down to a
 * fraction of a millisecond, where a timer alone is late by up to a millisecond and
 * would make the injected factor larger than stated.
 */
function waitUntil(deadline: bigint, fn: () => void): void {
  const leftMs = Number(deadline - process.hrtime.bigint()) / 1e6;
  if (leftMs > 2) setTimeout(() => waitUntil(deadline, fn), leftMs - 1.5);
  else if (leftMs > 0) setImmediate(() => waitUntil(deadline, fn));
  else fn();
}
