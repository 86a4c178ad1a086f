import type { Socket } from 'node:net';
import type { Document } from 'mongodb';
import { WireProtocolError } from '../../errors.ts';
import type { OperationRecord } from '../../store/record.ts';
import {
  buildLegacy,
  buildOpMsg,
  decodeBson,
  decodeMessage,
  decodePlainMessage,
  MessageFramer,
  MSG_FLAGS,
  OP_CODES,
  replyToDocument,
  requestToCommand,
  type CompressorName,
  type DecodedMessage,
  type LogicalCommand,
} from '../../wire/index.ts';
import { epochMicros } from './clock.ts';
import { isAuthCommand, isHello, stripCredentials, stripReplyCredentials } from './credentials.ts';
import { rewriteHelloHosts, serialiseBody } from './host-rewrite.ts';
import { digestOf, replyCount, replyError, type ReplyMode } from './reply-summary.ts';

/** What every session of one proxy shares: settings and the record callback. */
export interface SessionContext {
  readonly app?: string;
  readonly replyMode: ReplyMode;
  readonly redact: (doc: Document, isCommand: boolean) => void;
  readonly hostMap: ReadonlyMap<string, string>;
  readonly nextSeq: () => number;
  readonly emit: (record: OperationRecord) => void;
  readonly onParseError: () => void;
  readonly onAuthSkipped: () => void;
  readonly log: (line: string) => void;
}

interface Pending {
  readonly skip: boolean;
  readonly seq: number;
  readonly t: number;
  readonly startedMicros: number;
  readonly command?: LogicalCommand;
  readonly requestId: number;
  readonly compressor?: CompressorName;
  readonly hello: boolean;
  replies: number;
  replyBytes: number;
  lastReply?: Document;
  lastReplyBytes?: Buffer[];
}

const COMPRESSED_OPCODE = OP_CODES.OP_COMPRESSED;

/**
 * One client connection and its own upstream connection. Bytes are forwarded first
 * (the record never delays the app); framing and decoding follow on the same chunk.
 * Requests and replies are paired by requestID/responseTo; an exhaust stream
 * (moreToCome replies) stays one operation whose key moves to each reply's requestID.
 *
 * Replies are forwarded chunk by chunk, except while a hello is outstanding: then
 * they are framed first so the hello reply's host list can be rewritten. `sentOfPartial`
 * counts the bytes of the frame being assembled that already went out, so switching
 * between the two modes never sends a byte twice or drops one.
 */
export class ProxySession {
  private readonly requests = new MessageFramer();
  private readonly replies = new MessageFramer();
  private readonly pending = new Map<number, Pending>();
  private metadataApp: string | undefined;
  private hellosOutstanding = 0;
  private sentOfPartial = 0;
  /** Serialises decoding once a compressed message needs the async path, to keep order. */
  private asyncTail: Promise<void> | undefined;
  private asyncDepth = 0;
  private closed = false;

  constructor(
    private readonly ctx: SessionContext,
    readonly id: string,
    private readonly clientAddress: string,
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly onClose: () => void,
    private readonly countBytes: (fromClient: number, fromUpstream: number) => void,
  ) {
    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    upstream.on('data', (chunk: Buffer) => this.fromUpstream(chunk));
    // Backpressure both ways: a slow reader pauses the other side.
    client.on('drain', () => upstream.resume());
    upstream.on('drain', () => client.resume());
    client.on('error', (err) => this.close(`client: ${err.message}`));
    upstream.on('error', (err) => this.close(`upstream: ${err.message}`));
    client.on('close', () => this.close());
    upstream.on('close', () => this.close('upstream closed'));
  }

  private fromClient(chunk: Buffer): void {
    if (!this.upstream.write(chunk)) this.client.pause();
    this.countBytes(chunk.length, 0);
    const now = epochMicros();
    const err = this.requests.push(chunk, now, (m, start) => this.decode(m, start, true));
    if (err) this.close(`undecodable request stream: ${err.message}`);
  }

  private fromUpstream(chunk: Buffer): void {
    this.countBytes(0, chunk.length);
    const now = epochMicros();
    const holding = this.hellosOutstanding > 0 || this.replies.pending > this.sentOfPartial;
    if (!holding) {
      this.send(chunk);
      const err = this.replies.push(chunk, now, (m, start) => this.decode(m, start, false, now));
      this.sentOfPartial = this.replies.pending;
      if (err) this.close(`undecodable reply stream: ${err.message}`);
      return;
    }
    const err = this.replies.push(chunk, now, (m, start) => {
      if (this.sentOfPartial > 0) {
        this.send(m.subarray(this.sentOfPartial));
        this.sentOfPartial = 0;
        this.decode(m, start, false, now);
        return;
      }
      this.decode(m, start, false, now, true);
    });
    if (err) {
      this.close(`undecodable reply stream: ${err.message}`);
      return;
    }
    if (this.replies.pending === 0) this.sentOfPartial = 0;
  }

  private send(bytes: Buffer | Buffer[]): void {
    if (this.closed) return;
    let ok = true;
    if (Array.isArray(bytes)) {
      this.client.cork();
      for (const b of bytes) ok = this.client.write(b) && ok;
      this.client.uncork();
    } else ok = this.client.write(bytes);
    if (!ok) this.upstream.pause();
  }

  /**
   * Decodes one framed message. `forwardHere` is set for replies framed while a hello
   * was outstanding: this call forwards them (rewritten when it is that hello's reply).
   */
  private decode(message: Buffer, startUs: number, isRequest: boolean, endUs = startUs, forwardHere = false): void {
    const compressed = message.length >= 16 && message.readInt32LE(12) === COMPRESSED_OPCODE;
    if (!compressed && this.asyncDepth === 0) {
      this.handle(decodePlainMessage(message), message, startUs, endUs, isRequest, forwardHere);
      return;
    }
    // hello and isMaster are never compressed (compression spec), so a reply that must
    // be forwarded here goes out now, unchanged, and only its recording waits.
    if (forwardHere) this.send(message);
    // Copy: the slice may share its chunk with bytes Node reuses after this tick.
    const own = Buffer.from(message);
    this.asyncDepth++;
    this.asyncTail = (this.asyncTail ?? Promise.resolve()).then(async () => {
      try {
        this.handle(await decodeMessage(own), own, startUs, endUs, isRequest, false);
      } catch (err) {
        this.ctx.log(`proxy ${this.id}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        if (--this.asyncDepth === 0) this.asyncTail = undefined;
      }
    });
  }

  private handle(d: DecodedMessage | WireProtocolError, raw: Buffer, startUs: number, endUs: number, isRequest: boolean, forwardHere: boolean): void {
    if (d instanceof WireProtocolError) {
      if (forwardHere) this.send(raw);
      this.ctx.onParseError();
      if (isRequest) this.recordUndecodable(startUs, d);
      return;
    }
    if (isRequest) this.onRequest(d, startUs);
    else this.onReply(d, raw, endUs, forwardHere);
  }

  private onRequest(d: DecodedMessage, startUs: number): void {
    const c = requestToCommand(d.message);
    if (c instanceof WireProtocolError) {
      this.ctx.onParseError();
      this.recordUndecodable(startUs, c);
      return;
    }
    const requestId = d.message.header.requestId;
    if (isAuthCommand(c.cmd)) {
      this.ctx.onAuthSkipped();
      this.pending.set(requestId, { skip: true, seq: 0, t: startUs, startedMicros: startUs, requestId, hello: false, replies: 0, replyBytes: 0 });
      return;
    }
    const hello = isHello(c.cmd);
    if (hello) {
      const client = c.command.client as Document | undefined;
      const name = (client?.application as Document | undefined)?.name;
      if (typeof name === 'string' && this.metadataApp === undefined) this.metadataApp = name;
      if (this.ctx.hostMap.size > 0) this.hellosOutstanding++;
    }
    stripCredentials(c.cmd, c.command);
    this.ctx.redact(c.command, true);
    const p: Pending = {
      skip: false,
      seq: this.ctx.nextSeq(),
      t: startUs,
      startedMicros: startUs,
      command: c,
      requestId,
      hello,
      replies: 0,
      replyBytes: 0,
      ...(d.compressor ? { compressor: d.compressor } : {}),
    };
    if (c.moreToCome) {
      if (hello && this.ctx.hostMap.size > 0) this.hellosOutstanding--;
      this.emit(p, null);
      return;
    }
    this.pending.set(requestId, p);
  }

  private onReply(d: DecodedMessage, raw: Buffer, endUs: number, forwardHere: boolean): void {
    const responseTo = d.message.header.responseTo;
    const p = this.pending.get(responseTo);
    const doc = p && !p.skip ? replyToDocument(d.message) : undefined;
    if (forwardHere) this.forwardReply(d, raw, p, doc);
    if (!p) return;
    this.pending.delete(responseTo);
    const more = d.message.opCode === OP_CODES.OP_MSG && (d.message.flags & MSG_FLAGS.MORE_TO_COME) !== 0;
    if (p.hello && this.ctx.hostMap.size > 0 && !more) this.hellosOutstanding = Math.max(0, this.hellosOutstanding - 1);
    if (p.skip) return;
    p.replies++;
    p.replyBytes += d.wireSize;
    if (doc instanceof WireProtocolError) this.ctx.onParseError();
    else if (doc) {
      p.lastReply = doc;
      if (this.ctx.replyMode === 'digest') p.lastReplyBytes = replyBsonBytes(d);
    }
    // Exhaust: the next reply answers this reply's requestID.
    if (more) this.pending.set(d.message.header.requestId, p);
    else this.emit(p, endUs);
  }

  /** Forwards a reply framed while a hello was outstanding, with member addresses rewritten. */
  private forwardReply(d: DecodedMessage, raw: Buffer, p: Pending | undefined, doc: Document | WireProtocolError | undefined): void {
    if (!p?.hello || !doc || doc instanceof WireProtocolError || d.compressor) {
      this.send(raw);
      return;
    }
    // Rewrite a copy: the record keeps what the server said.
    const copy = decodeReplyBody(d);
    if (!copy || !rewriteHelloHosts(copy, this.ctx.hostMap)) {
      this.send(raw);
      return;
    }
    const m = d.message;
    const body = serialiseBody(copy);
    if (m.opCode === OP_CODES.OP_MSG) {
      this.send(buildOpMsg({ requestId: m.header.requestId, responseTo: m.header.responseTo, flags: m.flags, sections: [{ kind: 0, body }] }));
    } else if (m.opCode === OP_CODES.OP_REPLY) {
      this.send(buildLegacy({ ...m, requestId: m.header.requestId, responseTo: m.header.responseTo, documents: [body] }));
    } else this.send(raw);
  }

  private emit(p: Pending, endUs: number | null): void {
    const c = p.command!;
    const app = this.ctx.app ?? this.metadataApp;
    const record: OperationRecord = {
      seq: p.seq,
      t: p.t,
      dur: endUs === null ? null : Math.max(0, endUs - p.startedMicros),
      conn: this.id,
      client: this.clientAddress,
      db: c.db,
      cmd: c.cmd,
      op: c.op,
      command: c.command,
      ...(app !== undefined ? { app } : {}),
      ...(c.coll !== undefined ? { coll: c.coll } : {}),
    };
    const wire: NonNullable<OperationRecord['wire']> = { requestId: p.requestId };
    if (c.moreToCome) wire.moreToCome = true;
    if (c.exhaustAllowed) wire.exhaustAllowed = true;
    if (p.compressor) wire.compressor = p.compressor;
    if (p.replies > 1) wire.replies = p.replies;
    record.wire = wire;
    if (p.replies > 0) record.replySize = p.replyBytes;
    const doc = p.lastReply;
    if (doc) {
      const error = replyError(doc);
      if (error) record.error = error;
      stripReplyCredentials(doc);
      if (this.ctx.replyMode === 'full') {
        this.ctx.redact(doc, false);
        record.reply = { mode: 'full', doc };
      } else if (this.ctx.replyMode === 'digest') {
        const count = replyCount(doc);
        record.reply = { mode: 'digest', hash: digestOf(p.lastReplyBytes ?? []), ...(count !== undefined ? { count } : {}) };
      }
    }
    if (c.notReplayable) record.notReplayable = c.notReplayable;
    else if (c.moreToCome) record.notReplayable = 'unacknowledged-reply-missing';
    this.ctx.emit(record);
  }

  private recordUndecodable(startUs: number, err: WireProtocolError): void {
    this.ctx.emit({
      seq: this.ctx.nextSeq(),
      t: startUs,
      dur: null,
      conn: this.id,
      client: this.clientAddress,
      db: '',
      cmd: '',
      op: 'OP_MSG',
      command: { $parseError: err.message },
      notReplayable: 'parse-error',
      ...(this.ctx.app ?? this.metadataApp ? { app: (this.ctx.app ?? this.metadataApp)! } : {}),
    });
  }

  /** Ends both sides; operations still waiting for a reply are recorded without one. */
  close(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (reason && reason !== 'upstream closed') this.ctx.log(`proxy ${this.id} (${this.clientAddress}) closed: ${reason}`);
    if (this.requests.pending > 0) this.ctx.log(`proxy ${this.id}: client left mid-request (${this.requests.pending} bytes unsent upstream are dropped)`);
    this.client.destroy();
    this.upstream.destroy();
    const flush = () => {
      for (const p of new Set(this.pending.values())) if (!p.skip) this.emit(p, null);
      this.pending.clear();
      this.onClose();
    };
    if (this.asyncTail) void this.asyncTail.then(flush);
    else flush();
  }
}

function replyBsonBytes(d: DecodedMessage): Buffer[] {
  const m = d.message;
  if (m.opCode === OP_CODES.OP_MSG) return m.sections.flatMap((s) => (s.kind === 0 ? [s.body] : s.documents));
  if (m.opCode === OP_CODES.OP_REPLY) return [...m.documents];
  return [];
}

function decodeReplyBody(d: DecodedMessage): Document | undefined {
  const m = d.message;
  try {
    if (m.opCode === OP_CODES.OP_MSG && m.sections.length === 1 && m.sections[0]!.kind === 0) return decodeBson(m.sections[0]!.body);
    if (m.opCode === OP_CODES.OP_REPLY && m.documents.length === 1) return decodeBson(m.documents[0]!);
  } catch {
    return undefined;
  }
  return undefined;
}
