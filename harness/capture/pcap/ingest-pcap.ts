import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { IngestInputError, IngestNoOperationsError } from '../../errors.ts';
import { SOURCE_KINDS, type OperationRecord } from '../../model/record.ts';
import type { InputCut } from '../../store/footer.ts';
import type { CaptureHeaderInput } from '../../store/writer.ts';
import type { DecoderContext } from '../proxy/decoder.ts';
import { ReplyRenderer } from '../proxy/prerender.ts';
import { makeRedactor, type RedactionOptions } from '../proxy/redaction.ts';
import type { ReplyMode } from '../proxy/reply-summary.ts';
import type { IngestSink } from '../ingest/ingest.ts';
import { Tally, type IngestIssue, type IngestSummary } from '../ingest/summary.ts';
import { ConnectionTable } from './connections.ts';
import { CaptureFileParser, type CaptureFormat } from './file-format.ts';
import { decodeFrame } from './packet.ts';
import { newQuality, type CaptureQuality } from './quality.ts';

export const DEFAULT_SERVER_PORT = 27017;

export interface PcapIngestOptions {
  /** A pcap or pcapng file, or `-` for standard input (tcpdump -w -). */
  readonly input: string;
  readonly out: string;
  /** Server ports besides 27017. */
  readonly ports?: readonly number[];
  readonly app?: string;
  readonly replyMode?: ReplyMode;
  readonly redaction?: RedactionOptions;
  readonly onIssue?: (issue: IngestIssue) => void;
  /** Stops reading (Ctrl-C on a live stream): what was read is finished and written. */
  readonly signal?: AbortSignal;
  /** Opens the capture; the store's writer unless a test or benchmark gives another sink. */
  readonly openSink?: (path: string, header: CaptureHeaderInput) => Promise<IngestSink>;
  /** The input as a stream, instead of opening `input` (tests, benchmarks). */
  readonly stream?: Readable;
  /** Per-direction limits (defaults below). */
  readonly windowBytes?: number;
  readonly capBytes?: number;
  readonly maxConnections?: number;
}

export interface PcapIngestResult extends IngestSummary {
  readonly source: 'pcap';
  readonly format: CaptureFormat;
  readonly files: string[];
  readonly dropped: number;
  readonly issues: number;
  readonly quality: CaptureQuality;
  readonly inputCut?: InputCut;
  /** True when reading stopped on the signal rather than at the end of the input. */
  readonly interrupted: boolean;
}

/** Out-of-order bytes held per direction: loopback segments are up to 64 KiB; a few of them. */
const WINDOW_BYTES = 1024 * 1024;
/** Largest message kept: the server's own limit (48 MB) would let one capture hold gigabytes across connections. */
const CAP_BYTES = 16 * 1024 * 1024;
const MAX_CONNECTIONS = 50_000;
const DRAIN_ABOVE_BYTES = 4 * 1024 * 1024;

/** The capture header's source kind. */
const KIND = 'pcap' satisfies (typeof SOURCE_KINDS)[number];

/**
 * Reads a packet capture to its end (or the signal) and writes its operations as a
 * capture: file format → link layer → TCP reassembly → messages → the proxy's session
 * decoder → the store's writer, with back-pressure (ingest is lossless). The capture
 * is opened at the first operation; a capture with none is an error and leaves no file.
 */
export async function runPcapIngest(options: PcapIngestOptions): Promise<PcapIngestResult> {
  const quality = newQuality();
  let issues = 0;
  const report = (i: IngestIssue): void => {
    issues++;
    options.onIssue?.(i);
  };
  /*
   * Records go to the writer as they are made (nothing holds their documents longer than
   * the writer's encoding); only before the capture is open (it opens at the first record,
   * asynchronously) do they wait in `queue`.
   */
  const queue: OperationRecord[] = [];
  const tally = new Tally();
  let sink: IngestSink | undefined;
  let seq = 0;
  const ctx: DecoderContext = {
    ...(options.app !== undefined ? { app: options.app } : {}),
    replyMode: options.replyMode ?? 'full',
    redact: makeRedactor(options.redaction ?? { mode: 'none' }),
    nextSeq: () => seq++,
    emit: (r) => {
      // The app from the handshake's client metadata when the capture saw it, else who the client was.
      if (r.app === undefined) r.app = `unknown@${r.client ?? '?'}`;
      if (r.dur !== null) quality.pairs++;
      else if (!r.wire?.moreToCome && r.notReplayable !== 'parse-error') quality.unpairedRequests++;
      if (sink) {
        sink.write(r);
        tally.add(r);
      } else queue.push(r);
    },
    onParseError: () => void quality.undecodable++,
    onAuthSkipped: () => undefined,
    log: (line) => report({ file: options.input, line: 0, code: 'MC_INGEST_PCAP_DECODE', message: line }),
    ...((options.replyMode ?? 'full') === 'full' && (options.redaction?.mode ?? 'none') === 'none' ? { renderer: new ReplyRenderer() } : {}),
  };
  const table = new ConnectionTable(
    {
      serverPorts: new Set([DEFAULT_SERVER_PORT, ...(options.ports ?? [])]),
      windowBytes: options.windowBytes ?? WINDOW_BYTES,
      capBytes: options.capBytes ?? CAP_BYTES,
      maxConnections: options.maxConnections ?? MAX_CONNECTIONS,
    },
    ctx,
    quality,
  );
  let lastTs = 0;
  let packetIndex = 0;
  let fatal: string | undefined;
  const parser = new CaptureFileParser(
    (p) => {
      quality.packets++;
      packetIndex = p.index;
      lastTs = p.tsUs;
      const seg = decodeFrame(p.linkType, p.data, p.origLen);
      if (typeof seg !== 'string') table.segment(seg, p.tsUs);
      else if (seg === 'fragment') quality.fragments++;
      else if (seg === 'truncated') quality.truncatedFrames++;
      else quality.otherProtocolPackets++;
    },
    (i) => {
      if (i.fatal) fatal = `byte ${i.at}: ${i.message}`;
      // Not a capture at all: that is the error the run ends with, not an issue besides it.
      if (i.code === 'MC_INGEST_PCAP_NOT_A_CAPTURE') return;
      report({ file: options.input, line: packetIndex + 1, code: i.code, message: `byte ${i.at}: ${i.message}` });
    },
  );

  const open = options.openSink ?? (async (path: string, header: CaptureHeaderInput) => (await import('../../store/writer.ts')).openCaptureWriter(path, header));
  const flush = async (): Promise<void> => {
    for (let i = 0; i < queue.length; i++) {
      const rec = queue[i]!;
      if (!sink) {
        sink = await open(options.out, {
          ...(options.app ? { app: options.app } : {}),
          source: { kind: KIND, inputs: [options.input === '-' ? 'pcap:stdin' : `pcap:${options.input}`] },
          startedAt: new Date(rec.t > 0 ? rec.t / 1000 : Date.now()).toISOString(),
          redaction: options.redaction?.mode === 'hash-paths' ? { mode: 'hash-paths', paths: [...options.redaction.paths] } : { mode: options.redaction?.mode ?? 'none' },
          replyMode: options.replyMode ?? 'full',
        });
      }
      sink.write(rec);
      tally.add(rec);
    }
    queue.length = 0;
    // Back-pressure between reads: ingest is lossless, so it waits for the disk (the proxy never does).
    if (sink?.drain !== undefined && (sink.queuedBytes ?? 0) > DRAIN_ABOVE_BYTES) await sink.drain();
  };

  const stream = options.stream ?? openInput(options.input);
  let interrupted = false;
  const onAbort = (): void => {
    interrupted = true;
    stream.destroy();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let inputCut: InputCut | undefined;
  try {
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        parser.push(chunk);
        if (queue.length > 0 || (sink?.queuedBytes ?? 0) > DRAIN_ABOVE_BYTES) await flush();
        else await yieldToLoop();
        if (parser.stopped || interrupted) break;
      }
    } catch (err) {
      if (!interrupted) {
        if (parser.detected === undefined) throw new IngestInputError(`${options.input}: cannot read: ${(err as Error).message}`, { cause: err });
        inputCut = { input: options.input, at: `byte ${parser.offset}`, reason: `reading failed: ${(err as Error).message}` };
      }
    }
    if (parser.detected === undefined && fatal === undefined) parser.end();
    if (parser.detected === undefined) throw new IngestInputError(`${options.input}: not a pcap or pcapng capture: ${fatal ?? 'no data'}`);
    const cut = interrupted ? undefined : parser.end();
    if (fatal !== undefined) inputCut ??= { input: options.input, at: fatal.split(':')[0]!, reason: fatal.slice(fatal.indexOf(':') + 2) };
    else if (cut !== undefined) inputCut ??= { input: options.input, at: `byte ${parser.offset}`, reason: cut };
    await table.finish(lastTs);
    await flush();
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (inputCut) sink?.markInputCut?.(inputCut);
    sink?.markQuality?.({ ...quality });
    await sink?.close();
  }
  if (!sink) {
    throw new IngestNoOperationsError(
      `${options.input}: no wire-protocol requests found in ${quality.packets} packet(s) (${quality.connections} connection(s) on port(s) ${[DEFAULT_SERVER_PORT, ...(options.ports ?? [])].join(', ')}); nothing written`,
    );
  }
  // `sink` is assigned inside `flush`, which the compiler's narrowing does not follow.
  const written = sink as IngestSink;
  return {
    ...tally.summary(issues),
    source: 'pcap',
    format: parser.detected,
    files: written.files ?? [options.out],
    dropped: written.dropped,
    issues,
    quality,
    ...(inputCut ? { inputCut } : {}),
    interrupted,
  };
}

function openInput(input: string): Readable {
  if (input === '-') return process.stdin;
  // 1 MiB reads: a pcap of small packets parses in fewer, larger pushes.
  return createReadStream(input, { highWaterMark: 1024 * 1024 });
}
