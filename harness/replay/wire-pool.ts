import { connect, type Socket } from 'node:net';
import { platform, release, type as osType } from 'node:os';
import { BSON } from 'mongodb';
import { ReplayNetworkError, ReplayTimeoutError, WireProtocolError } from '../errors.ts';
import { buildOpMsgCommand, MessageFramer, OP_CODES, parseMessage } from '../wire/index.ts';
import { TOOL } from '../store/tool.ts';

/**
 * The replayer's own wire transport: each command goes out as one OP_MSG on a pooled
 * socket, exactly as rewritten, and its reply comes back as a document of the driver's
 * BSON classes (numbers keep their type). No server selection, no implicit sessions,
 * no added fields: what the capture holds is what the server sees (mongoreplay's
 * model). Measured against the replay bench's stand-in wire server: the `mongodb`
 * driver's `db.command` costs 100–145 µs of CPU per command on this machine, a bare
 * OP_MSG loop over plain sockets 19–23 µs. Replies are handed on as their body bytes
 * (commandRaw): the replay digests them without decoding (raw-reply.ts), which took
 * the decode and the re-serialisation for the digest off every operation (issue 23).
 *
 * With `batchWrites` (the replay's targets), requests are not written the moment they
 * are made but once the event loop has run the I/O callbacks of its turn (setImmediate):
 * the replies that arrived together are each followed by their connection's next
 * request, and those requests then go out back to back. Written one by one as they were
 * made, on a two-core machine nearly every write woke the server's process and gave it
 * the CPU before the next reply was read (perf: more than half of the time in `write`
 * was that switch, on the way back from the call). Measured on the replay bench (one
 * target, 32 connections, paired runs): 94–99 µs of CPU per operation before, 76–80
 * after; 13,100 ops/s before, 15,300–16,200 after. A command's send time is when its
 * bytes were written (see SendTiming), so its latency does not include the wait.
 *
 * It serves one host without credentials, TLS or compression (LiveTarget decides, and
 * keeps the driver for everything else). Messages are written and read by the codec in
 * harness/wire; a dead or unreachable server surfaces as a ReplayNetworkError
 * (MC_REPLAY_NETWORK) that says whether the request could have reached it, a command
 * without a reply in time as a ReplayTimeoutError (MC_REPLAY_TIMEOUT).
 */

/** Same reply decoding as the driver path (LiveTarget), plus BSON regexes kept exact. */
const REPLY_BSON = Object.freeze({ promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const);

export interface WirePoolOptions {
  readonly host: string;
  readonly port: number;
  readonly maxPoolSize: number;
  readonly connectTimeoutMs: number;
  /** A command without a reply after this long fails, and its socket is closed. */
  readonly opTimeoutMs: number;
  readonly appName: string;
  /**
   * Write requests together at the end of the event-loop turn (see the file's comment)
   * rather than each as it is made. The replay's targets do; a caller that times each
   * command from its call leaves it off.
   */
  readonly batchWrites?: boolean;
}

const NO_ELEMENTS: readonly Uint8Array[] = Object.freeze([]);

interface Pending {
  readonly requestId: number;
  readonly deadline: number;
  /** With the reply's body document as received (a slice of the socket's chunk, not copied). */
  readonly resolve: (body: Uint8Array) => void;
  readonly reject: (err: Error) => void;
}

let nextRequestId = 1;

/**
 * When a request was written, for its latency: `sentAt` (performance.now()) is set by the
 * first write made with this object and left alone by later ones. The replay hands one
 * object to the sends of one operation to every target (send.ts), so that each target's
 * latency runs from the same instant, as when it was taken before the sends: the target
 * written second then counts the first one's write, and the first counts the second's
 * in the delay before its reply is read. Timed from each request's own write, the target
 * written first measured slower (captures/dbupgrader against two FerretDB servers, one
 * update shape: first/second latency 1.1–1.7 in median, a latency verdict warned in two
 * runs of three); with the shared timing 0.87–1.07, as before the outbox, and no warning.
 */
export interface SendTiming {
  sentAt: number;
}

/** Connections with a request to write at the end of this event-loop turn, in the order the requests were made. */
const outbox: WireConnection[] = [];
let outboxScheduled = false;

/** Writes every request queued since the last flush (see the file's comment). */
function flushOutbox(): void {
  outboxScheduled = false;
  for (let i = 0; i < outbox.length; i++) outbox[i]!.writeOutgoing();
  outbox.length = 0;
}

class WireConnection {
  private readonly framer = new MessageFramer();
  private pending: Pending | undefined;
  /** The request run() made, until the outbox writes it. */
  private outgoing: Buffer | undefined;
  /** Where the current request's write time goes (SendTiming). */
  private timing: SendTiming | undefined;
  closed = false;
  /** Bound once per connection: a closure per 'data' event would be an allocation per reply. */
  private readonly onFrame = (message: Buffer): void => this.onMessage(message);

  constructor(
    private readonly socket: Socket,
    /** host:port, named in every error of this connection. */
    private readonly address: string,
    /** Requests wait in the outbox for the end of the turn (WirePoolOptions.batchWrites). */
    private readonly batchWrites: boolean,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      const failed = this.framer.push(chunk, 0, this.onFrame);
      if (failed) this.fail(new ReplayNetworkError(`${address}: unreadable reply stream: ${failed.message}`, { sent: true, cause: failed }));
    });
    socket.on('error', (err) => this.fail(new ReplayNetworkError(`${address}: ${err.message}`, { sent: true, cause: err })));
    socket.on('close', () => this.fail(new ReplayNetworkError(`${address}: connection closed by the server`, { sent: true })));
  }

  /**
   * Sends `doc` (a serialised command) with `elements` appended as one OP_MSG; resolves
   * with the reply body. One command at a time per connection.
   */
  run(doc: Uint8Array, elements: readonly Uint8Array[], deadline: number, timing?: SendTiming): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new ReplayNetworkError(`${this.address}: connection closed`, { sent: false }));
    const requestId = nextRequestId++ & 0x7fffffff;
    const message = buildOpMsgCommand(requestId, doc, elements);
    return new Promise((resolve, reject) => {
      this.pending = { requestId, deadline, resolve, reject };
      this.outgoing = message;
      this.timing = timing;
      if (!this.batchWrites) this.writeOutgoing();
      else {
        outbox.push(this);
        if (!outboxScheduled) {
          outboxScheduled = true;
          setImmediate(flushOutbox);
        }
      }
    });
  }

  /** Writes the request run() made, unless the connection failed meanwhile; notes when. */
  writeOutgoing(): void {
    const message = this.outgoing;
    this.outgoing = undefined;
    const timing = this.timing;
    this.timing = undefined;
    if (message === undefined || this.closed) return;
    if (timing && timing.sentAt === 0) timing.sentAt = performance.now();
    this.socket.write(message);
  }

  /** Closes the socket when its command is past its deadline (`timeoutMs` after it was sent); true if it was. */
  expire(now: number, timeoutMs: number): boolean {
    const p = this.pending;
    if (!p || now < p.deadline) return false;
    this.fail(new ReplayTimeoutError(`${this.address}: no reply within ${timeoutMs} ms`));
    return true;
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  close(): void {
    this.fail(new ReplayNetworkError(`${this.address}: pool closed`, { sent: false }));
  }

  private onMessage(message: Buffer): void {
    const p = this.pending;
    const msg = parseMessage(message);
    const a = this.address;
    if (msg instanceof WireProtocolError) return this.fail(new ReplayNetworkError(`${a}: unreadable reply: ${msg.message}`, { sent: true, cause: msg }));
    if (!p || msg.header.responseTo !== p.requestId) {
      return this.fail(new ReplayNetworkError(`${a}: reply to request ${msg.header.responseTo}, none such outstanding`, { sent: true }));
    }
    if (msg.opCode !== OP_CODES.OP_MSG) return this.fail(new ReplayNetworkError(`${a}: reply opcode ${msg.opCode}, OP_MSG expected`, { sent: true }));
    // parseMessage checked there is exactly one body section; a loop, not find(), allocates no closure.
    let i = 0;
    let section = msg.sections[0]!;
    while (section.kind !== 0) section = msg.sections[++i]!;
    this.pending = undefined;
    p.resolve(section.body);
  }

  private fail(err: Error): void {
    if (!this.closed) {
      this.closed = true;
      this.socket.destroy();
    }
    const p = this.pending;
    this.pending = undefined;
    p?.reject(err);
  }
}

/**
 * Sockets to one server, opened on demand up to `maxPoolSize`, each with the
 * handshake a driver sends (isMaster with client metadata, so the server's log and
 * currentOp name the replayer). Callers beyond the limit wait in order.
 */
export class WirePool {
  private readonly idle: WireConnection[] = [];
  private readonly all = new Set<WireConnection>();
  /** Connections waiting for their handshake reply: swept too, so a silent server cannot hang open(). */
  private readonly handshaking = new Set<WireConnection>();
  private readonly waiters: ((c: WireConnection | Error) => void)[] = [];
  private opening = 0;
  private closed = false;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: WirePoolOptions) {
    // One timer for every deadline, not one per command.
    this.sweeper = setInterval(() => this.sweep(), Math.max(10, Math.min(1000, options.opTimeoutMs / 4)));
    this.sweeper.unref();
  }

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  /** Runs one command document (it must carry `$db`); resolves with the reply, ok or not. */
  command(doc: BSON.Document): Promise<BSON.Document> {
    return this.commandWith(BSON.serialize(doc), NO_ELEMENTS);
  }

  /**
   * As commandWith, but resolves with the reply's body as received, undecoded: the
   * replay digests most replies from their bytes (raw-reply.ts) and decodes only those it
   * keeps. A body that is not BSON is found by whoever decodes it. With `timing`, the
   * time the request was written goes there unless it holds one already (SendTiming).
   */
  async commandRaw(doc: Uint8Array, elements: readonly Uint8Array[], timing?: SendTiming): Promise<Uint8Array> {
    const conn = await this.acquire();
    try {
      return await conn.run(doc, elements, performance.now() + this.options.opTimeoutMs, timing);
    } finally {
      this.release(conn);
    }
  }

  /**
   * Runs a command given as BSON: `doc` serialised without `$db` and `lsid`, and the
   * pre-built elements to append (see bsonElement in harness/wire), so that what every
   * operation of a session shares is serialised once, not per send. Rejects with a
   * ReplayNetworkError or a ReplayTimeoutError.
   */
  async commandWith(doc: Uint8Array, elements: readonly Uint8Array[]): Promise<BSON.Document> {
    return decodeReplyBody(await this.commandRaw(doc, elements), this.address);
  }

  /** Opens up to `n` connections now, so the measured pass does not pay for handshakes. */
  async warm(n: number): Promise<void> {
    const conns = await Promise.all(Array.from({ length: Math.min(n, this.options.maxPoolSize) }, () => this.acquire().catch(() => undefined)));
    for (const c of conns) if (c) this.release(c);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const c of this.all) c.close();
    this.all.clear();
    this.idle.length = 0;
    for (const c of this.handshaking) c.close();
    for (const w of this.waiters.splice(0)) w(new ReplayNetworkError(`${this.address}: pool closed`, { sent: false }));
  }

  private acquire(): Promise<WireConnection> {
    if (this.closed) return Promise.reject(new ReplayNetworkError(`${this.address}: pool closed`, { sent: false }));
    for (let c = this.idle.pop(); c; c = this.idle.pop()) if (!c.closed) return Promise.resolve(c);
    if (this.all.size + this.opening < this.options.maxPoolSize) return this.open();
    return new Promise((resolve, reject) => this.waiters.push((c) => (c instanceof Error ? reject(c) : resolve(c))));
  }

  private release(conn: WireConnection): void {
    if (conn.closed) {
      this.all.delete(conn);
      // A waiter gets a fresh connection in place of the lost one.
      const w = this.waiters.shift();
      if (w) this.open().then(w, w);
      return;
    }
    const w = this.waiters.shift();
    if (w) w(conn);
    else this.idle.push(conn);
  }

  private async open(): Promise<WireConnection> {
    this.opening++;
    let conn: WireConnection | undefined;
    try {
      conn = new WireConnection(await this.connectSocket(), this.address, this.options.batchWrites ?? false);
      this.handshaking.add(conn);
      const hello = decodeReplyBody(await conn.run(BSON.serialize(this.handshake()), NO_ELEMENTS, performance.now() + this.options.connectTimeoutMs), this.address);
      if (!isOk(hello)) throw new ReplayNetworkError(`${this.address}: handshake refused: ${String(hello.errmsg ?? 'not ok')}`, { sent: false });
      if (this.closed) throw new ReplayNetworkError(`${this.address}: pool closed`, { sent: false });
      this.all.add(conn);
      return conn;
    } catch (err) {
      conn?.close();
      // Nothing of the caller's was sent on a connection that never opened: a write may be retried.
      if (err instanceof ReplayNetworkError) throw err.sent ? new ReplayNetworkError(err.message, { sent: false, cause: err.cause }) : err;
      if (err instanceof ReplayTimeoutError) throw new ReplayNetworkError(`${err.message} to the handshake`, { sent: false, cause: err });
      throw err;
    } finally {
      if (conn) this.handshaking.delete(conn);
      this.opening--;
    }
  }

  private connectSocket(): Promise<Socket> {
    const { host, port, connectTimeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ReplayNetworkError(`connect to ${host}:${port} timed out after ${connectTimeoutMs} ms`, { sent: false }));
      }, connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new ReplayNetworkError(`connect to ${host}:${port}: ${err.message}`, { sent: false, cause: err }));
      });
    });
  }

  private handshake(): BSON.Document {
    // isMaster, not hello: 4.2 servers (every capture's source) do not know `hello`.
    return {
      isMaster: 1,
      helloOk: true,
      client: {
        application: { name: this.options.appName },
        driver: { name: TOOL.name, version: TOOL.version },
        os: { type: osType(), name: platform(), version: release() },
        platform: `Node.js ${process.version}`,
      },
      $db: 'admin',
    };
  }

  private sweep(): void {
    const now = performance.now();
    for (const c of this.all) if (c.busy && c.expire(now, this.options.opTimeoutMs)) this.all.delete(c);
    for (const c of this.handshaking) c.expire(now, this.options.connectTimeoutMs);
  }
}

/**
 * A reply body decoded as the driver path decodes it (every BSON number type kept); a
 * body that is not BSON is a ReplayNetworkError that says the request was sent.
 */
export function decodeReplyBody(body: Uint8Array, address: string): BSON.Document {
  try {
    return BSON.deserialize(body, REPLY_BSON);
  } catch (err) {
    throw new ReplayNetworkError(`${address}: unreadable reply: ${(err as Error).message}`, { sent: true, cause: err });
  }
}

/** `ok: 1` in any numeric BSON type (replies keep Double/Int32 instances). */
export function isOk(reply: BSON.Document): boolean {
  const ok: unknown = reply.ok;
  if (typeof ok === 'number') return ok === 1;
  if (typeof ok === 'boolean') return ok;
  return ok !== null && typeof ok === 'object' && Number((ok as { valueOf(): unknown }).valueOf()) === 1;
}

