import type { OperationRecord, RecordSink } from '../../model/record.ts';
import { SessionDecoder, type DecoderContext } from './decoder.ts';
import { makeRedactor, type RedactionOptions } from './redaction.ts';
import { ReplyRenderer } from './prerender.ts';
import { FailOpenRecorder } from './recorder.ts';
import type { ReplyMode } from './reply-summary.ts';

/**
 * Where the proxy's sessions hand every framed message once it has been forwarded.
 * Two implementations: InlineRecording decodes on the proxy's own thread into any
 * RecordSink; WorkerRecording (worker/start.ts) ships the bytes to a recording
 * worker that decodes and writes the capture file, so the forwarding thread only
 * forwards and frames. Neither ever makes the proxy wait.
 */
export interface RecordingPipe {
  open(session: number, id: string, clientAddress: string): void;
  message(session: number, isRequest: boolean, bytes: Buffer, startUs: number, endUs: number): void;
  close(session: number): void;
  /** Records accepted by the sink, and operations dropped (recorder behind or crashed). */
  readonly recorded: number;
  readonly dropped: number;
  readonly parseErrors: number;
  readonly authSkipped: number;
  /** Every session closed: flushes what is still decoding. */
  finish(): Promise<void>;
}

export interface RecordingSettings {
  readonly app?: string;
  readonly replyMode: ReplyMode;
  readonly redaction: RedactionOptions;
  /**
   * Full, unredacted replies written as text without being decoded (prerender.ts); on
   * unless false. Off where nearly every record's reply is read anyway (the shadow's mirror).
   */
  readonly renderReplies?: boolean;
  /** Asked before each plain request is decoded (DecoderContext.admit); every request is, when absent. */
  readonly admit?: (conn: string) => boolean;
}

/** Decoder context over a fail-open recorder, with the counters the status line shows. */
function decoderContext(settings: RecordingSettings, recorder: FailOpenRecorder, counters: { parseErrors: number; authSkipped: number }, log: (line: string) => void): DecoderContext {
  let seq = 0;
  return {
    ...(settings.app !== undefined ? { app: settings.app } : {}),
    replyMode: settings.replyMode,
    redact: makeRedactor(settings.redaction),
    nextSeq: () => seq++,
    emit: (r: OperationRecord) => recorder.write(r),
    onParseError: () => void counters.parseErrors++,
    onAuthSkipped: () => void counters.authSkipped++,
    log,
    ...(settings.admit !== undefined ? { admit: settings.admit } : {}),
    ...(settings.renderReplies !== false && settings.replyMode === 'full' && settings.redaction.mode === 'none' ? { renderer: new ReplyRenderer() } : {}),
  };
}

/** Decoding where it is created (the proxy's thread for tests and custom sinks; the recording worker), records into the given sink. */
export class InlineRecording implements RecordingPipe {
  private readonly decoders = new Map<number, SessionDecoder>();
  private readonly closing = new Set<Promise<void>>();
  private readonly recorder: FailOpenRecorder;
  private readonly ctx: DecoderContext;
  readonly counters = { parseErrors: 0, authSkipped: 0 };

  constructor(sink: RecordSink, settings: RecordingSettings, log: (line: string) => void) {
    this.recorder = new FailOpenRecorder(sink, log);
    this.ctx = decoderContext(settings, this.recorder, this.counters, log);
  }

  get recorded(): number {
    return this.recorder.recorded;
  }
  get dropped(): number {
    return this.recorder.dropped;
  }
  get parseErrors(): number {
    return this.counters.parseErrors;
  }
  get authSkipped(): number {
    return this.counters.authSkipped;
  }

  open(session: number, id: string, clientAddress: string): void {
    this.decoders.set(session, new SessionDecoder(this.ctx, id, clientAddress));
  }

  message(session: number, isRequest: boolean, bytes: Buffer, startUs: number, endUs: number): void {
    this.decoders.get(session)?.decode(bytes, startUs, isRequest, endUs);
  }

  /** The session lost messages (recorder behind): its unpaired operations are dropped and counted. */
  gap(session: number): void {
    this.recorder.dropped += this.decoders.get(session)?.gap() ?? 0;
  }

  close(session: number): void {
    const d = this.decoders.get(session);
    if (!d) return;
    this.decoders.delete(session);
    const p = d.close();
    if (p) {
      const tracked = p.finally(() => this.closing.delete(tracked));
      this.closing.add(tracked);
    }
  }

  async finish(): Promise<void> {
    for (const s of [...this.decoders.keys()]) this.close(s);
    await Promise.all([...this.closing]);
  }
}
