import type { Document } from 'mongodb';
import { WireProtocolError } from '../../errors.ts';
import type { OperationRecord } from '../../model/record.ts';
import {
  decodeBsonFast,
  decodePlainMessage,
  decodeSingleBodyOpMsg,
  MSG_FLAGS,
  OP_CODES,
  replyToDocument,
  requestToCommand,
  type CompressorName,
  type DecodedMessage,
  type LogicalCommand,
  uncompressedMessage,
} from '../../wire/index.ts';
import { isAuthCommand, isHello, masksPassword, stripCredentials, stripReplyCredentials } from './credentials.ts';
import { peekCommandName } from './peek.ts';
import type { ReplyRenderer } from './prerender.ts';
import { digestOf, replyCount, replyError, type ReplyMode } from './reply-summary.ts';
import type { PrerenderedReply } from '../../model/prerendered.ts';

/** What every decoder of one proxy shares: settings and where records go. */
export interface DecoderContext {
  readonly app?: string;
  readonly replyMode: ReplyMode;
  readonly redact: (doc: Document, isCommand: boolean) => void;
  readonly nextSeq: () => number;
  readonly emit: (record: OperationRecord) => void;
  readonly onParseError: () => void;
  readonly onAuthSkipped: () => void;
  readonly log: (line: string) => void;
  /** Full replies that record as they are are written as text without being decoded (only where replies are not redacted). */
  readonly renderer?: ReplyRenderer;
  /**
   * Asked before a request of connection `conn` is decoded: false, and neither it nor its
   * reply is decoded or recorded (the shadow's mirror, which would drop it anyway, counts
   * it). Not asked for handshakes, credential exchanges, compressed or legacy messages.
   */
  readonly admit?: (conn: string) => boolean;
}

interface Pending {
  readonly skip: boolean;
  readonly seq: number;
  readonly t: number;
  readonly startedMicros: number;
  readonly command?: LogicalCommand;
  readonly requestId: number;
  compressor?: CompressorName;
  replies: number;
  replyBytes: number;
  lastReply?: Document;
  /** The last reply, when it was rendered rather than decoded (then lastReply is unset). */
  lastRendered?: PrerenderedReply;
  lastReplyBytes?: Buffer[];
}

const COMPRESSED_OPCODE = OP_CODES.OP_COMPRESSED;
/**
 * Requests waiting for their reply, per connection. A driver waits for each reply, so a
 * handful at most; more means replies were lost (a capture that missed packets, a server
 * that never answered): past this the oldest is recorded without its reply, as at the
 * connection's end, so memory stays bounded on a connection that lives for days.
 */
export const MAX_PENDING_REQUESTS = 512;

/**
 * The recording half of one proxied connection: the framed messages of both directions,
 * in the order they passed, become operation records. Requests and replies are paired
 * by requestID/responseTo; an exhaust stream (moreToCome replies) stays one operation
 * whose key moves to each reply's requestID. It never touches a socket, so it runs
 * where the proxy puts it: on the proxy's thread, or in the recording worker.
 */
export class SessionDecoder {
  private readonly pending = new Map<number, Pending>();
  private metadataApp: string | undefined;
  /** Serialises decoding once a compressed message needs the async path, to keep order. */
  private asyncTail: Promise<void> | undefined;
  private asyncDepth = 0;

  constructor(
    private readonly ctx: DecoderContext,
    readonly id: string,
    private readonly clientAddress: string,
  ) {}

  /** One whole message; `startUs` when its first byte arrived, `endUs` its last. */
  decode(message: Buffer, startUs: number, isRequest: boolean, endUs = startUs): void {
    const compressed = message.length >= 16 && message.readInt32LE(12) === COMPRESSED_OPCODE;
    if (!compressed && this.asyncDepth === 0) {
      if (this.notRecorded(message, startUs, isRequest)) return;
      this.handle(decodeSingleBodyOpMsg(message) ?? decodePlainMessage(message), startUs, endUs, isRequest);
      return;
    }
    // Copy: on the proxy's thread the slice may share its chunk with bytes Node reuses after this tick.
    const own = Buffer.from(message);
    this.asyncDepth++;
    this.asyncTail = (this.asyncTail ?? Promise.resolve()).then(async () => {
      try {
        // The reply to a request not recorded is dropped before it is decompressed (its
        // header says which request it answers); a compressed request is decompressed to
        // be admitted or not by its command, as a plain one is, before any decoding.
        if (!isRequest && this.answersSkipped(own)) return;
        const plain = await uncompressedMessage(own);
        if (plain instanceof WireProtocolError) return this.handle(plain, startUs, endUs, isRequest);
        if (isRequest && this.notRecorded(plain.buf, startUs, isRequest)) return;
        this.handle(decodePlainMessage(plain.buf, plain.compressor, own.length), startUs, endUs, isRequest);
      } catch (err) {
        this.ctx.log(`proxy ${this.id}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        if (--this.asyncDepth === 0) this.asyncTail = undefined;
      }
    });
  }

  /** Not to be recorded: a request the context does not admit, or the reply to one skipped. */
  private notRecorded(message: Buffer, startUs: number, isRequest: boolean): boolean {
    return isRequest ? this.ctx.admit !== undefined && !this.admitted(message, startUs, this.ctx.admit) : this.answersSkipped(message);
  }

  /**
   * Whether a plain OP_MSG request is to be decoded (ctx.admit); one that is not waits
   * for its reply as a skipped entry, so that the reply is not decoded either.
   */
  private admitted(message: Buffer, startUs: number, admit: (conn: string) => boolean): boolean {
    if (message.length < 21 || message.readInt32LE(12) !== OP_CODES.OP_MSG) return true;
    const name = peekCommandName(message);
    if (name === undefined || isHello(name) || isAuthCommand(name) || admit(this.id)) return true;
    const requestId = message.readInt32LE(4);
    if ((message.readUInt32LE(16) & MSG_FLAGS.MORE_TO_COME) === 0) this.wait(requestId, { skip: true, seq: 0, t: startUs, startedMicros: startUs, requestId, replies: 0, replyBytes: 0 });
    return false;
  }

  /** A reply to a request that is not recorded (a credential exchange, one not admitted): dropped unread. */
  private answersSkipped(message: Buffer): boolean {
    if (message.length < 16) return false;
    const responseTo = message.readInt32LE(8);
    if (this.pending.get(responseTo)?.skip !== true) return false;
    this.pending.delete(responseTo);
    return true;
  }

  /**
   * Messages were lost here (the recorder fell behind): operations waiting for a reply
   * can no longer be paired and are dropped; returns how many.
   */
  gap(): number {
    let n = 0;
    for (const p of new Set(this.pending.values())) if (!p.skip) n++;
    this.pending.clear();
    return n;
  }

  /** The connection ended: operations still waiting for a reply are recorded without one. */
  close(): Promise<void> | undefined {
    const flush = () => {
      for (const p of new Set(this.pending.values())) if (!p.skip) this.emit(p, null);
      this.pending.clear();
    };
    if (this.asyncTail) return this.asyncTail.then(flush);
    flush();
    return undefined;
  }

  private handle(d: DecodedMessage | WireProtocolError, startUs: number, endUs: number, isRequest: boolean): void {
    if (d instanceof WireProtocolError) {
      this.ctx.onParseError();
      if (isRequest) this.recordUndecodable(startUs, d);
      return;
    }
    if (isRequest) this.onRequest(d, startUs);
    else this.onReply(d, endUs);
  }

  private onRequest(d: DecodedMessage, startUs: number): void {
    const rendered = this.ctx.renderer !== undefined ? this.renderRequest(d, this.ctx.renderer) : undefined;
    if (rendered !== undefined) {
      // Nothing in it to strip or redact (renderRequest made sure): recorded as read.
      this.pendingRequest(d, rendered, startUs);
      return;
    }
    const c = requestToCommand(d.message, decodeBsonFast);
    if (c instanceof WireProtocolError) {
      this.ctx.onParseError();
      this.recordUndecodable(startUs, c);
      return;
    }
    const requestId = d.message.header.requestId;
    if (isAuthCommand(c.cmd)) {
      this.ctx.onAuthSkipped();
      this.wait(requestId, { skip: true, seq: 0, t: startUs, startedMicros: startUs, requestId, replies: 0, replyBytes: 0 });
      return;
    }
    if (isHello(c.cmd)) {
      const client = c.command.client as Document | undefined;
      const name = (client?.application as Document | undefined)?.name;
      if (typeof name === 'string' && this.metadataApp === undefined) this.metadataApp = name;
    }
    stripCredentials(c.cmd, c.command);
    this.ctx.redact(c.command, true);
    this.pendingRequest(d, c, startUs);
  }

  /** The request, ready to record, waits for its reply (or is recorded now: moreToCome). */
  private pendingRequest(d: DecodedMessage, c: LogicalCommand, startUs: number): void {
    const requestId = d.message.header.requestId;
    const p: Pending = {
      skip: false,
      seq: this.ctx.nextSeq(),
      t: startUs,
      startedMicros: startUs,
      command: c,
      requestId,
      replies: 0,
      replyBytes: 0,
    };
    if (d.compressor) p.compressor = d.compressor;
    if (c.moreToCome) {
      this.emit(p, null);
      return;
    }
    this.wait(requestId, p);
  }

  /** Keeps a request (or an exhaust stream) until its reply; the oldest goes out unpaired past the bound. */
  private wait(key: number, p: Pending): void {
    this.pending.delete(key);
    if (this.pending.size >= MAX_PENDING_REQUESTS) {
      const [oldestKey, oldest] = this.pending.entries().next().value!;
      this.pending.delete(oldestKey);
      if (!oldest.skip) this.emit(oldest, null);
    }
    this.pending.set(key, p);
  }

  private onReply(d: DecodedMessage, endUs: number): void {
    const responseTo = d.message.header.responseTo;
    const p = this.pending.get(responseTo);
    if (!p) return;
    this.pending.delete(responseTo);
    const more = d.message.opCode === OP_CODES.OP_MSG && (d.message.flags & MSG_FLAGS.MORE_TO_COME) !== 0;
    if (p.skip) return;
    p.replies++;
    p.replyBytes += d.wireSize;
    const rendered = this.ctx.renderer !== undefined ? this.render(d, this.ctx.renderer) : undefined;
    if (rendered !== undefined) {
      p.lastRendered = rendered;
      p.lastReply = undefined;
    } else {
      const doc = replyToDocument(d.message, decodeBsonFast);
      if (doc instanceof WireProtocolError) this.ctx.onParseError();
      else {
        p.lastReply = doc;
        p.lastRendered = undefined;
        if (this.ctx.replyMode === 'digest') p.lastReplyBytes = replyBsonBytes(d);
      }
    }
    // Exhaust: the next reply answers this reply's requestID.
    if (more) this.wait(d.message.header.requestId, p);
    else this.emit(p, endUs);
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
    };
    // Assigned in this order, as the record's fields are written in it.
    if (app !== undefined) record.app = app;
    if (c.coll !== undefined) record.coll = c.coll;
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
    } else if (p.lastRendered !== undefined) record.reply = p.lastRendered;
    if (c.notReplayable) record.notReplayable = c.notReplayable;
    else if (c.moreToCome) record.notReplayable = 'unacknowledged-reply-missing';
    this.ctx.emit(record);
  }

  /**
   * An OP_MSG request of one body, rendered as text (prerender.ts), when recording it is
   * writing it out: not a credential exchange, not a handshake (its client metadata names
   * the app), not a command whose password is masked. Undefined for any other.
   */
  private renderRequest(d: DecodedMessage, renderer: ReplyRenderer): LogicalCommand | undefined {
    const m = d.message;
    if (m.opCode !== OP_CODES.OP_MSG || m.sections.length !== 1) return undefined;
    const s = m.sections[0]!;
    if (s.kind !== 0) return undefined;
    const r = renderer.renderCommand(s.body);
    if (r === undefined || isAuthCommand(r.cmd) || isHello(r.cmd) || masksPassword(r.cmd)) return undefined;
    return {
      db: r.db,
      cmd: r.cmd,
      op: 'OP_MSG',
      command: r.command,
      ...(r.coll !== undefined ? { coll: r.coll } : {}),
      moreToCome: (m.flags & MSG_FLAGS.MORE_TO_COME) !== 0,
      exhaustAllowed: (m.flags & MSG_FLAGS.EXHAUST_ALLOWED) !== 0,
    };
  }

  /** An OP_MSG reply of one body, rendered as text (prerender.ts); undefined for any other. */
  private render(d: DecodedMessage, renderer: ReplyRenderer): PrerenderedReply | undefined {
    const m = d.message;
    if (m.opCode !== OP_CODES.OP_MSG || m.sections.length !== 1) return undefined;
    const s = m.sections[0]!;
    return s.kind === 0 ? renderer.render(s.body) : undefined;
  }

  private recordUndecodable(startUs: number, err: WireProtocolError): void {
    const app = this.ctx.app ?? this.metadataApp;
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
      ...(app !== undefined ? { app } : {}),
    });
  }
}

function replyBsonBytes(d: DecodedMessage): Buffer[] {
  const m = d.message;
  if (m.opCode === OP_CODES.OP_MSG) return m.sections.flatMap((s) => (s.kind === 0 ? [s.body] : s.documents));
  if (m.opCode === OP_CODES.OP_REPLY) return [...m.documents];
  return [];
}
