import net from 'node:net';
import tls from 'node:tls';
import { BSON, type Document } from 'mongodb';
import { buildLegacy, decodePlainMessage, MessageFramer, OP_CODES, replyToDocument } from '../../harness/wire/index.ts';
import { WireProtocolError } from '../../harness/errors.ts';

/**
 * A minimal client that speaks legacy OP_QUERY, as drivers before OP_MSG did: an
 * `isMaster` handshake on `admin.$cmd` carrying client metadata (so the proxy labels
 * the connection by its appName), then queries on `db.collection` with `$query` /
 * `$orderby`, a field selector and a negative numberToReturn (one batch, cursor closed).
 * Messages are built and read with the project's wire codec.
 */
export interface LegacyClientOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly ca: Buffer };
  readonly appName: string;
  readonly driver: { readonly name: string; readonly version: string };
}

export class LegacyClient {
  private socket: net.Socket | undefined;
  private requestId = 0;
  private readonly framer = new MessageFramer();
  private waiting: { resolve: (m: Buffer) => void; reject: (e: Error) => void } | undefined;

  constructor(private readonly options: LegacyClientOptions) {}

  /** One legacy query; resolves to the reply document (an OP_REPLY `$err` document when the server refused it). */
  async query(ns: string, query: Document, options: { fields?: Document; limit?: number } = {}): Promise<Document> {
    if (!this.socket) await this.open();
    return this.send(ns, query, options);
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.end(resolve));
  }

  private async open(): Promise<void> {
    const { host, port } = this.options;
    const socket = this.options.tls
      ? tls.connect({ host, port, ca: this.options.tls.ca, servername: net.isIP(host) ? undefined : host, checkServerIdentity: () => undefined })
      : net.connect({ host, port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once(this.options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    socket.on('data', (chunk: Buffer) => {
      const err = this.framer.push(chunk, 0, (m) => {
        const w = this.waiting;
        this.waiting = undefined;
        w?.resolve(m);
      });
      if (err) this.fail(err);
    });
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => {
      // The server may drop a connection after refusing an opcode: the next query reconnects.
      if (this.socket === socket) this.socket = undefined;
      this.fail(new Error('connection closed'));
    });
    this.socket = socket;
    const os = { type: process.platform === 'linux' ? 'Linux' : process.platform, name: process.platform };
    await this.send('admin.$cmd', { isMaster: 1, helloOk: true, client: { application: { name: this.options.appName }, driver: this.options.driver, os } }, { limit: 1 });
  }

  private fail(e: Error): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(e);
  }

  private async send(ns: string, query: Document, options: { fields?: Document; limit?: number }): Promise<Document> {
    const socket = this.socket!;
    const message = buildLegacy({
      opCode: OP_CODES.OP_QUERY,
      requestId: ++this.requestId,
      flags: 0,
      fullCollectionName: ns,
      numberToSkip: 0,
      numberToReturn: -(options.limit ?? 1),
      query: Buffer.from(BSON.serialize(query)),
      ...(options.fields ? { returnFieldsSelector: Buffer.from(BSON.serialize(options.fields)) } : {}),
    });
    const reply = new Promise<Buffer>((resolve, reject) => (this.waiting = { resolve, reject }));
    socket.write(Buffer.concat(message));
    const bytes = await reply;
    const decoded = decodePlainMessage(bytes);
    if (decoded instanceof WireProtocolError) throw decoded;
    const doc = replyToDocument(decoded.message);
    if (doc instanceof WireProtocolError) throw doc;
    return doc;
  }
}
