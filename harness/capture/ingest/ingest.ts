import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { IngestInputError, IngestNoOperationsError, IngestTruncatedError } from '../../errors.ts';
import type { OperationRecord, RecordSink } from '../../model/record.ts';
import type { InputCut, SourceQuality } from '../../store/footer.ts';
import type { CaptureHeaderInput } from '../../store/writer.ts';
import { redactUri } from '../../targets/redact.ts';
import { logRecords } from './log-source.ts';
import { profileRecords } from './profile-source.ts';
import { newCounters, Tally, type IngestIssue, type IngestSummary } from './summary.ts';
import { trafficRecords } from './traffic/source.ts';

export type IngestSource =
  | { readonly kind: 'log'; readonly files: readonly string[] }
  | { readonly kind: 'profile'; readonly uri: string; readonly db: string; readonly since?: Date; readonly collection?: string }
  | { readonly kind: 'traffic-recording'; readonly path: string };

export interface IngestOptions {
  readonly source: IngestSource;
  readonly out: string;
  readonly app?: string;
  /** Every issue as it happens (the CLI prints the first few). */
  readonly onIssue?: (issue: IngestIssue) => void;
  /** Opens the capture; the store's `openCaptureWriter` unless a test gives another sink. */
  readonly openSink?: (path: string, header: CaptureHeaderInput) => Promise<IngestSink>;
}

/** The capture writer as ingest sees it; `drain`/`queuedBytes` give back-pressure when the sink has them. */
export type IngestSink = RecordSink & { readonly files?: string[]; readonly queuedBytes?: number; drain?(): Promise<void>; markInputCut?(cut: InputCut): void; markQuality?(quality: SourceQuality): void };

export interface IngestResult extends IngestSummary {
  /** Capture files written (several when the writer rotated). */
  readonly files: string[];
  readonly dropped: number;
  readonly issues: number;
  /** Issues by reason (`unknown-line-layout`, `unparseable-operation`, …, else their code). */
  readonly issuesByReason: Record<string, number>;
  /**
   * Set when an input ended early or was damaged: the capture holds what came before
   * and its footer says so. The CLI prints the summary, then fails with MC_INGEST_TRUNCATED.
   */
  readonly inputCut?: InputCut;
  readonly source: IngestSource['kind'];
}

/** Records between yields to the event loop, so the writer's compression keeps up. */
const YIELD_EVERY = 512;
/** Queued (serialised, not yet on disk) bytes above which ingest waits for the writer. */
const DRAIN_ABOVE_BYTES = 4 * 1024 * 1024;

/**
 * Reads one source to the end and writes its operations as a capture. The capture is
 * opened at the first operation (its start time is that operation's); a source with
 * none is an error and leaves no file behind.
 */
export async function runIngest(options: IngestOptions): Promise<IngestResult> {
  const counters = newCounters();
  let issues = 0;
  const issuesByReason: Record<string, number> = {};
  const onIssue = (i: IngestIssue): void => {
    issues++;
    counters.unparseable++;
    const reason = i.reason ?? i.code;
    issuesByReason[reason] = (issuesByReason[reason] ?? 0) + 1;
    options.onIssue?.(i);
  };
  let inputCut: InputCut | undefined;
  const onCut = (cut: InputCut): void => {
    inputCut ??= cut;
  };
  const src = options.source;
  let serverVersion: string | undefined;
  const common = { ...(options.app ? { app: options.app } : {}), onIssue, onCut, counters };
  let records: AsyncIterable<OperationRecord>;
  let inputs: string[];
  let host: string | undefined;
  if (src.kind === 'log') {
    records = logRecords(src.files, common);
    inputs = [...src.files];
  } else if (src.kind === 'profile') {
    host = redactUri(src.uri);
    inputs = [`${host} ${src.db}.${src.collection ?? 'system.profile'}`];
    records = cursorCut(
      profileRecords(src.uri, host, {
        ...common,
        db: src.db,
        ...(src.since ? { since: src.since } : {}),
        ...(src.collection ? { collection: src.collection } : {}),
        onServer: (info) => (serverVersion = info.version),
      }),
      inputs[0]!,
      counters,
      onCut,
    );
  } else {
    records = trafficRecords(src.path, common);
    inputs = [src.path];
  }

  const tally = new Tally();
  let sink: IngestSink | undefined;
  const open = options.openSink ?? (async (path: string, header: CaptureHeaderInput) => (await import('../../store/writer.ts')).openCaptureWriter(path, header));
  try {
    for await (const rec of records) {
      if (!sink) {
        const header: CaptureHeaderInput = {
          ...(options.app ? { app: options.app } : {}),
          source: { kind: src.kind, ...(host ? { host } : {}), inputs },
          ...(serverVersion ? { serverVersion } : {}),
          startedAt: new Date(rec.t > 0 ? rec.t / 1000 : Date.now()).toISOString(),
          redaction: { mode: 'none' },
          // Logs and the profiler never show replies; the recorder sees them all.
          replyMode: src.kind === 'traffic-recording' ? 'full' : 'none',
        };
        sink = await open(options.out, header);
      }
      sink.write(rec);
      tally.add(rec);
      // Back-pressure: a log read faster than it compresses would fill the writer's queue and
      // drop records; ingest is lossless, so it waits for the disk instead (the proxy never does).
      if (sink.drain !== undefined && (sink.queuedBytes ?? 0) > DRAIN_ABOVE_BYTES) await sink.drain();
      else if (tally.records % YIELD_EVERY === 0) await yieldToLoop();
    }
  } finally {
    if (inputCut) sink?.markInputCut?.(inputCut);
    await sink?.close();
  }
  const summary = tally.summary(issues);
  if (!sink && inputCut) throw new IngestTruncatedError(inputCut.input, inputCut.at, `${inputCut.reason}; no operation before it, nothing written`);
  if (!sink) {
    const what = src.kind === 'log' ? `${src.files.join(', ')}: no slow-operation lines` : src.kind === 'profile' ? `${inputs[0]}: no profiler entries` : `${src.path}: no requests`;
    throw new IngestNoOperationsError(`${what} found${issues > 0 ? ` (${issues} unreadable)` : ''}; nothing written`);
  }
  return { ...summary, files: sink.files ?? [options.out], dropped: sink.dropped, issues, issuesByReason, ...(inputCut ? { inputCut } : {}), source: src.kind };
}

/**
 * A profiler cursor that fails after documents came (the server stepped down, the
 * connection dropped, the capped collection overwrote the cursor's position) cuts the
 * input short: what was read is kept and the cut is reported. A failure before the
 * first document is the plain error it is (cannot connect, not authorised).
 */
async function* cursorCut(records: AsyncIterable<OperationRecord>, input: string, counters: { lines: number }, onCut: (cut: InputCut) => void): AsyncGenerator<OperationRecord> {
  try {
    yield* records;
  } catch (err) {
    if (!(err instanceof IngestInputError) || counters.lines === 0) throw err;
    onCut({ input, at: `document ${counters.lines + 1}`, reason: `the cursor failed: ${(err.cause as Error | undefined)?.message?.split('\n')[0] ?? err.message}` });
  }
}
