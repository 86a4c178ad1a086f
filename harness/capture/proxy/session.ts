import type { Document } from 'mongodb';
import { buildLegacy, buildOpMsg, decodeBson, decodePlainMessage, MSG_FLAGS, OP_CODES, type DecodedMessage } from '../../wire/index.ts';
import { BoundedFramer, BufferBudget } from './budget.ts';
import { epochMicros } from './clock.ts';
import { isHello } from './credentials.ts';
import { peekCommandName } from './peek.ts';
import { rewriteHelloHosts, serialiseBody, unmappedHosts } from './host-rewrite.ts';
import type { RecordingPipe } from './recording.ts';

/** What a session does with its two sockets (net.Socket, tls.TLSSocket; a stand-in in unit tests). */
export interface SessionSocket {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  write(chunk: Buffer): boolean;
  pause(): unknown;
  resume(): unknown;
  cork(): void;
  uncork(): void;
  destroy(): unknown;
}

/** What every session of one proxy shares. */
export interface SessionContext {
  readonly hostMap: ReadonlyMap<string, string>;
  readonly recording: RecordingPipe;
  readonly log: (line: string) => void;
  /** Bytes of unfinished messages held across every session (unbounded when absent). */
  readonly budget?: BufferBudget;
  /** A message released for want of budget: its operation is not recorded. */
  readonly onReleased?: (session: ProxySession, isRequest: boolean) => void;
  /** The session closed because its stream did not decode. */
  readonly onUndecodable?: () => void;
  /** A hello named a member the proxy has no listener for (called for every such hello). */
  readonly onUnmappedMember?: (member: string) => void;
}

const UNBOUNDED = new BufferBudget(Number.POSITIVE_INFINITY);

/**
 * One client connection and its own upstream connection, on the forwarding thread.
 * Bytes are forwarded first (recording never delays the app), then framed, and every
 * whole message goes to the recording pipe with its timestamps; decoding and pairing
 * happen there (decoder.ts), off this thread when the pipe is the recording worker.
 *
 * Replies are forwarded chunk by chunk, except while a hello is outstanding: then
 * they are framed first so the hello reply's host list can be rewritten. `sentOfPartial`
 * counts the bytes of the frame being assembled that already went out, so switching
 * between the two modes never sends a byte twice or drops one. Which requests are
 * hellos is read from the command name alone (peekCommandName), without decoding BSON.
 */
export class ProxySession {
  private readonly requests: BoundedFramer;
  private readonly replies: BoundedFramer;
  /** requestIDs whose reply is a hello's (an exhaust hello moves to each reply's requestID). */
  private readonly hellos = new Set<number>();
  private sentOfPartial = 0;
  private closed = false;

  constructor(
    private readonly ctx: SessionContext,
    private readonly session: number,
    readonly id: string,
    private readonly clientAddress: string,
    private readonly client: SessionSocket,
    private readonly upstream: SessionSocket,
    private readonly onClose: () => void,
    private readonly countBytes: (fromClient: number, fromUpstream: number) => void,
  ) {
    this.requests = new BoundedFramer(ctx.budget ?? UNBOUNDED);
    this.replies = new BoundedFramer(ctx.budget ?? UNBOUNDED);
    this.requests.awaitFirst(performance.now());
    ctx.recording.open(session, id, clientAddress);
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
    const err = this.requests.push(chunk, now, performance.now(), (m, start) => this.onRequest(m, start), this.releasedRequest);
    if (err) this.closeUndecodable(`undecodable request stream: ${err.message}`);
  }

  private readonly releasedRequest = (): void => this.ctx.onReleased?.(this, true);
  private readonly releasedReply = (): void => this.ctx.onReleased?.(this, false);

  /**
   * Since when (performance.now() ms) a request has been arriving unfinished (or the
   * connection has waited for its first one), 0 between messages: a connection idle
   * between messages is a driver's pooled one and stays open.
   */
  get partialSinceMs(): number {
    return this.requests.partialSinceMs;
  }

  private closeUndecodable(reason: string): void {
    if (!this.closed) this.ctx.onUndecodable?.();
    this.close(reason);
  }

  private fromUpstream(chunk: Buffer): void {
    this.countBytes(0, chunk.length);
    const now = epochMicros();
    const holding = !this.replies.passing && (this.hellos.size > 0 || this.replies.pending > this.sentOfPartial);
    if (!holding) {
      this.send(chunk);
      const err = this.replies.push(chunk, now, performance.now(), (m, start) => this.ctx.recording.message(this.session, false, m, start, now), this.releasedReply);
      this.sentOfPartial = this.replies.pending;
      if (err) this.closeUndecodable(`undecodable reply stream: ${err.message}`);
      return;
    }
    // Held replies are not yet forwarded: never released, so charged past the budget if need be.
    const err = this.replies.push(chunk, now, performance.now(), (m, start) => {
      if (this.sentOfPartial > 0) {
        this.send(m.subarray(this.sentOfPartial));
        this.sentOfPartial = 0;
      } else this.forwardReply(m);
      this.ctx.recording.message(this.session, false, m, start, now);
    }, undefined);
    if (err) {
      this.closeUndecodable(`undecodable reply stream: ${err.message}`);
      return;
    }
    if (this.replies.pending === 0) this.sentOfPartial = 0;
  }

  private onRequest(message: Buffer, startUs: number): void {
    if (this.ctx.hostMap.size > 0) {
      const name = peekCommandName(message);
      // A hello sent with moreToCome gets no reply to rewrite.
      const oneWay = message.length >= 20 && message.readInt32LE(12) === OP_CODES.OP_MSG && (message.readUInt32LE(16) & MSG_FLAGS.MORE_TO_COME) !== 0;
      if (name !== undefined && isHello(name) && !oneWay) this.hellos.add(message.readInt32LE(4));
    }
    this.ctx.recording.message(this.session, true, message, startUs, startUs);
  }

  private send(bytes: Buffer): void {
    if (this.closed) return;
    if (!this.client.write(bytes)) this.upstream.pause();
  }

  /** Forwards a reply framed while a hello was outstanding, with member addresses rewritten when it is the hello's. */
  private forwardReply(raw: Buffer): void {
    const responseTo = raw.readInt32LE(8);
    if (!this.hellos.has(responseTo)) {
      this.send(raw);
      return;
    }
    this.hellos.delete(responseTo);
    const d = decodePlainMessage(raw);
    if (d instanceof Error) {
      this.send(raw);
      return;
    }
    // Exhaust hello: the next reply answers this reply's requestID.
    if (d.message.opCode === OP_CODES.OP_MSG && (d.message.flags & MSG_FLAGS.MORE_TO_COME) !== 0) this.hellos.add(d.message.header.requestId);
    // Rewrite a copy: the record keeps what the server said.
    const copy = decodeReplyBody(d);
    if (copy && this.ctx.onUnmappedMember) for (const h of unmappedHosts(copy, this.ctx.hostMap)) this.ctx.onUnmappedMember(h);
    if (!copy || !rewriteHelloHosts(copy, this.ctx.hostMap)) {
      this.send(raw);
      return;
    }
    const m = d.message;
    const body = serialiseBody(copy);
    if (m.opCode === OP_CODES.OP_MSG) {
      this.sendAll(buildOpMsg({ requestId: m.header.requestId, responseTo: m.header.responseTo, flags: m.flags, sections: [{ kind: 0, body }] }));
    } else if (m.opCode === OP_CODES.OP_REPLY) {
      this.sendAll(buildLegacy({ ...m, requestId: m.header.requestId, responseTo: m.header.responseTo, documents: [body] }));
    } else this.send(raw);
  }

  private sendAll(parts: Buffer[]): void {
    if (this.closed) return;
    let ok = true;
    this.client.cork();
    for (const b of parts) ok = this.client.write(b) && ok;
    this.client.uncork();
    if (!ok) this.upstream.pause();
  }

  /** Ends both sides; the recording pipe records operations still waiting for a reply without one. */
  close(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (reason && reason !== 'upstream closed') this.ctx.log(`proxy ${this.id} (${this.clientAddress}) closed: ${reason}`);
    if (this.requests.pending > 0) this.ctx.log(`proxy ${this.id}: client left mid-request (${this.requests.pending} bytes unsent upstream are dropped)`);
    this.client.destroy();
    this.upstream.destroy();
    this.requests.dispose();
    this.replies.dispose();
    this.ctx.recording.close(this.session);
    this.onClose();
  }
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

