import { connect, type Socket } from 'node:net';
import { platform, release, type as osType } from 'node:os';
import { BSON } from 'mongodb';
import { MessageFramer } from '../wire/framer.ts';
import { parseHeader } from '../wire/header.ts';
import { parseOpMsg } from '../wire/op-msg.ts';
import { HEADER_SIZE, OP_CODES } from '../wire/opcodes.ts';
import { TOOL } from '../store/tool.ts';

/**
 * The replayer's own wire transport: each command goes out as one OP_MSG on a pooled
 * socket, exactly as rewritten, and its reply comes back as a document of the driver's
 * BSON classes (numbers keep their type). No server selection, no implicit sessions,
 * no added fields: what the capture holds is what the server sees (mongoreplay's
 * model). Measured against the replay bench's stand-in wire server: the `mongodb`
 * driver's `db.command` costs 100–145 µs of CPU per command on this machine, a bare
 * OP_MSG loop over plain sockets 19–23 µs, and the whole replayer over this pool 56 µs
 * per operation; 15,000 ops/s on two cores leaves about 66 µs.
 *
 * It serves one host without credentials, TLS or compression (LiveTarget decides, and
 * keeps the driver for everything else); a dead or unreachable server surfaces as a
 * WireNetworkError that says whether the request could have reached it.
 */

/** Same reply decoding as the driver path (LiveTarget), plus BSON regexes kept exact. */
const REPLY_BSON = Object.freeze({ promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const);

/** A connection failure; `sent` is false when the request never left (safe to retry a write). */
export class WireNetworkError extends Error {
  override readonly name = 'WireNetworkError';
  constructor(
    message: string,
    readonly sent: boolean,
  ) {
    super(message);
  }
}

/** The operation did not answer within the pool's op timeout; its socket was closed. */
export class WireTimeoutError extends Error {
  override readonly name = 'WireTimeoutError';
}

export interface WirePoolOptions {
  readonly host: string;
  readonly port: number;
  readonly maxPoolSize: number;
  readonly connectTimeoutMs: number;
  /** A command without a reply after this long fails, and its socket is closed. */
  readonly opTimeoutMs: number;
  readonly appName: string;
}

interface Pending {
  readonly requestId: number;
  readonly deadline: number;
  readonly resolve: (reply: BSON.Document) => void;
  readonly reject: (err: Error) => void;
}

let nextRequestId = 1;

class WireConnection {
  private readonly framer = new MessageFramer();
  private pending: Pending | undefined;
  closed = false;

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      const failed = this.framer.push(chunk, 0, (message) => this.onMessage(message));
      if (failed) this.fail(new WireNetworkError(`unreadable reply stream: ${failed.message}`, true));
    });
    socket.on('error', (err) => this.fail(new WireNetworkError(err.message, true)));
    socket.on('close', () => this.fail(new WireNetworkError('connection closed by the server', true)));
  }

  /** Sends one OP_MSG body; resolves with the reply body. One command at a time per connection. */
  run(body: Uint8Array, deadline: number): Promise<BSON.Document> {
    if (this.closed) return Promise.reject(new WireNetworkError('connection closed', false));
    const requestId = nextRequestId++ & 0x7fffffff;
    const message = Buffer.allocUnsafe(HEADER_SIZE + 5 + body.length);
    message.writeInt32LE(message.length, 0);
    message.writeInt32LE(requestId, 4);
    message.writeInt32LE(0, 8);
    message.writeInt32LE(OP_CODES.OP_MSG, 12);
    message.writeUInt32LE(0, 16); // flagBits: a plain request, a reply expected
    message[20] = 0; // section kind 0: the body
    message.set(body, 21);
    return new Promise((resolve, reject) => {
      this.pending = { requestId, deadline, resolve, reject };
      this.socket.write(message);
    });
  }

  /** Closes the socket when its command is past its deadline; true if it was. */
  expire(now: number): boolean {
    const p = this.pending;
    if (!p || now < p.deadline) return false;
    this.fail(new WireTimeoutError('no reply within the op timeout'));
    return true;
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  close(): void {
    this.fail(new WireNetworkError('pool closed', false));
  }

  private onMessage(message: Buffer): void {
    const p = this.pending;
    const header = parseHeader(message);
    if (header instanceof Error) return this.fail(new WireNetworkError(`bad reply header: ${header.message}`, true));
    if (!p || header.responseTo !== p.requestId) return this.fail(new WireNetworkError(`reply to request ${header.responseTo}, none such outstanding`, true));
    if (header.opCode !== OP_CODES.OP_MSG) return this.fail(new WireNetworkError(`reply opcode ${header.opCode}, OP_MSG expected`, true));
    let reply: BSON.Document;
    try {
      const msg = parseOpMsg(message, header);
      const body = msg.sections.find((s) => s.kind === 0);
      reply = BSON.deserialize(body!.body, REPLY_BSON);
    } catch (err) {
      return this.fail(new WireNetworkError(`unreadable reply: ${(err as Error).message}`, true));
    }
    this.pending = undefined;
    p.resolve(reply);
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
    return this.run(BSON.serialize(doc));
  }

  /**
   * Runs a command given as BSON: `doc` serialised without `$db` and `lsid`, and the
   * pre-built elements to append (see bsonElement), so that what every operation of a
   * session shares is serialised once, not per send.
   */
  commandWith(doc: Uint8Array, elements: readonly Uint8Array[]): Promise<BSON.Document> {
    return this.run(appendElements(doc, elements));
  }

  private async run(body: Uint8Array): Promise<BSON.Document> {
    const conn = await this.acquire();
    try {
      return await conn.run(body, performance.now() + this.options.opTimeoutMs);
    } finally {
      this.release(conn);
    }
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
    for (const w of this.waiters.splice(0)) w(new WireNetworkError('pool closed', false));
  }

  private acquire(): Promise<WireConnection> {
    if (this.closed) return Promise.reject(new WireNetworkError('pool closed', false));
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
    try {
      const socket = await this.connectSocket();
      const conn = new WireConnection(socket);
      const hello = await conn.run(BSON.serialize(this.handshake()), performance.now() + this.options.connectTimeoutMs);
      if (!isOk(hello)) {
        conn.close();
        throw new WireNetworkError(`handshake refused: ${String(hello.errmsg ?? 'not ok')}`, false);
      }
      if (this.closed) {
        conn.close();
        throw new WireNetworkError('pool closed', false);
      }
      this.all.add(conn);
      return conn;
    } catch (err) {
      // Nothing of the caller's was sent on a connection that never opened.
      throw err instanceof WireNetworkError ? new WireNetworkError(err.message, false) : err;
    } finally {
      this.opening--;
    }
  }

  private connectSocket(): Promise<Socket> {
    const { host, port, connectTimeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new WireNetworkError(`connect to ${host}:${port} timed out after ${connectTimeoutMs} ms`, false));
      }, connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new WireNetworkError(`connect to ${host}:${port}: ${err.message}`, false));
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
    for (const c of this.all) if (c.busy && c.expire(now)) this.all.delete(c);
  }
}

/** `ok: 1` in any numeric BSON type (replies keep Double/Int32 instances). */
export function isOk(reply: BSON.Document): boolean {
  const ok: unknown = reply.ok;
  if (typeof ok === 'number') return ok === 1;
  if (typeof ok === 'boolean') return ok;
  return ok !== null && typeof ok === 'object' && Number((ok as { valueOf(): unknown }).valueOf()) === 1;
}

/** A BSON document with `elements` (from bsonElement) appended after its own. */
export function appendElements(doc: Uint8Array, elements: readonly Uint8Array[]): Buffer {
  let extra = 0;
  for (const e of elements) extra += e.length;
  const body = Buffer.allocUnsafe(doc.length + extra);
  body.set(doc.subarray(0, doc.length - 1), 0); // without the terminating 0x00
  let at = doc.length - 1;
  for (const e of elements) {
    body.set(e, at);
    at += e.length;
  }
  body[at] = 0;
  body.writeInt32LE(body.length, 0);
  return body;
}

/** One BSON element (type, name, value) as bytes, for WirePool.commandWith. */
export function bsonElement(name: string, value: unknown): Buffer {
  const doc = BSON.serialize({ [name]: value });
  // A one-element document is int32 length, the element, 0x00.
  return Buffer.from(doc.subarray(4, doc.length - 1));
}
