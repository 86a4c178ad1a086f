import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PROXY_DEFAULTS } from '../../../config/schema.ts';
import { CompatError, ProxyError } from '../../../errors.ts';
import { workerEntry } from '../../../package-root.ts';
import type { CaptureHeaderInput, CaptureWriterOptions } from '../../../store/writer.ts';
import type { RecordingPipe, RecordingSettings } from '../recording.ts';
import { ENTRY, ENTRY_FIELDS } from './protocol.ts';

/**
 * A batch is posted BATCH_MS after its first entry, or sooner when it holds BATCH_BYTES.
 * Not once per event-loop turn: each post wakes the worker, and on the 2-core bench
 * machine (a VM) a wake-up per turn cost more than the recording itself.
 */
const BATCH_BYTES = 256 * 1024;
const BATCH_MS = 10;
const BATCH_ENTRIES = 4096;

export interface WorkerRecordingOptions {
  readonly path: string;
  readonly header: CaptureHeaderInput;
  readonly writerOptions?: CaptureWriterOptions;
  readonly settings: RecordingSettings;
  readonly log: (line: string) => void;
}

interface Counts {
  recorded: number;
  dropped: number;
  parseErrors: number;
  authSkipped: number;
}

/**
 * Recording off the forwarding thread. The proxy's thread copies each framed message
 * into the current batch (one memcpy) and posts the batch once per event-loop turn;
 * the recording worker decodes, pairs and writes the capture (thread.ts).
 * Decoding, pairing and serialising cost ~8 µs of CPU per small operation (5 to decode
 * and pair, 2.2 to encode, gzip on the pool), but done on the forwarding thread it also
 * delays every other connection's bytes; bench/proxy's "inline" mode keeps it there.
 *
 * Fail-open: bytes posted but not yet taken by the worker are bounded by the writer's
 * queue limit (default 64 MiB); past it, messages are not posted and their operations
 * count as dropped, and the session is marked so the worker drops what it can no
 * longer pair. A worker that dies stops the recording, never the traffic.
 */
export class WorkerRecording implements RecordingPipe {
  private readonly worker: Worker;
  private readonly maxQueueBytes: number;
  private opens: [number, string, string][] = [];
  private meta = new Float64Array(BATCH_ENTRIES * ENTRY_FIELDS);
  private entries = 0;
  private data = Buffer.allocUnsafeSlow(BATCH_BYTES);
  private dataBytes = 0;
  private scheduled = false;
  /** Bytes posted and not yet acknowledged by the worker. */
  private inFlight = 0;
  /** Sessions that lost messages since their last entry. */
  private readonly gaps = new Set<number>();
  private crashed = false;
  private ended = false;
  private droppedHere = 0;
  private worker_: Counts = { recorded: 0, dropped: 0, parseErrors: 0, authSkipped: 0 };
  private done?: Promise<void>;
  files: readonly string[] = [];
  /** Why the capture could not be written, once it could not: the proxy then exits non-zero. */
  failure: string | undefined;

  /** The worker's `done` message, once finish() has resolved (a shadow worker's carries its run). */
  doneMessage?: Record<string, unknown>;
  /** Messages of a worker's own beyond the recording protocol (a shadow worker's status replies). */
  onOther?: (m: { t: string }) => void;

  private constructor(
    worker: Worker,
    maxQueueBytes: number,
    private readonly log: (line: string) => void,
  ) {
    this.worker = worker;
    this.maxQueueBytes = maxQueueBytes;
    worker.on('message', (m: { t: string } & Partial<Counts> & { bytes?: number; line?: string; files?: string[] }) => {
      if (m.t === 'ack') {
        this.inFlight -= m.bytes!;
        this.take(m);
      } else if (m.t === 'log') log(m.line!);
      else if (m.t === 'failed') {
        this.take(m);
        this.failure ??= (m as { message?: string }).message ?? 'writing the capture failed';
        log(`proxy: writing the capture failed: ${this.failure}; recording stops, traffic continues, every operation from now on is counted as dropped`);
      } else if (m.t !== 'done') this.onOther?.(m);
    });
    worker.on('error', (err) => this.crash(err.message));
    worker.on('exit', (code) => {
      if (!this.ended) this.crash(`recording worker exited (code ${code})`);
    });
  }

  /** Starts the worker and opens the capture file; throws (one line) when it cannot. */
  static async start(options: WorkerRecordingOptions): Promise<WorkerRecording> {
    const { pipe, ready } = await WorkerRecording.startWith(
      'harness/capture/proxy/worker/thread.ts',
      { path: options.path, header: options.header, writerOptions: options.writerOptions ?? {}, settings: options.settings },
      options.writerOptions?.maxQueueBytes ?? PROXY_DEFAULTS.maxQueueMb * 1024 * 1024,
      options.log,
    );
    pipe.files = (ready.files as string[] | undefined) ?? [];
    return pipe;
  }

  /**
   * Starts `entry` as the worker: any thread that speaks this recording protocol (batches
   * in, acks and counts out, `finish` then `done`) and says `ready` once it can take
   * batches, or `error` with a one-line message (and an MC_ code) when it cannot.
   * `entry` is a module URL, or a worker entry of the package named by its source path
   * (`harness/…/x.ts`, see package-root.ts: its bundled file when the CLI runs the bundle).
   * Resolves with the pipe and the `ready` message.
   */
  static async startWith(entry: URL | string, workerData: unknown, maxQueueBytes: number, log: (line: string) => void): Promise<{ pipe: WorkerRecording; ready: Record<string, unknown> }> {
    const worker = startWorker(typeof entry === 'string' ? workerEntry(entry) : entry, workerData);
    const first = await new Promise<{ t: string; message?: string; code?: string } & Record<string, unknown>>((resolve) => {
      const onMessage = (m: { t: string } & Record<string, unknown>) => {
        // Lines logged while starting go out as they come.
        if (m.t === 'log') return log(String(m.line));
        worker.off('message', onMessage);
        resolve(m);
      };
      worker.on('message', onMessage);
      worker.once('error', (err) => resolve({ t: 'error', message: err.message }));
      worker.once('exit', (code) => resolve({ t: 'error', message: `the worker exited (code ${code}) before it was ready` }));
    });
    if (first.t !== 'ready') {
      await worker.terminate();
      const message = first.message ?? 'the recording worker did not start';
      throw first.code ? new CompatError(first.code, message) : new ProxyError(message);
    }
    return { pipe: new WorkerRecording(worker, maxQueueBytes, log), ready: first };
  }

  /** Posts a message of the worker's own protocol (see onOther). */
  post(m: { t: string } & Record<string, unknown>): void {
    if (!this.crashed && !this.ended) this.worker.postMessage(m);
  }

  get recorded(): number {
    return this.worker_.recorded;
  }
  get dropped(): number {
    return this.worker_.dropped + this.droppedHere;
  }
  get parseErrors(): number {
    return this.worker_.parseErrors;
  }
  /** Operations never posted to the worker because it was behind (or gone): they never reached it. */
  get unposted(): number {
    return this.droppedHere;
  }
  get authSkipped(): number {
    return this.worker_.authSkipped;
  }

  open(session: number, id: string, clientAddress: string): void {
    if (this.crashed || this.ended) return;
    this.opens.push([session, id, clientAddress]);
    this.schedule();
  }

  message(session: number, isRequest: boolean, bytes: Buffer, startUs: number, endUs: number): void {
    if (this.crashed || this.ended) {
      if (isRequest) this.droppedHere++;
      return;
    }
    if (this.inFlight + this.dataBytes + bytes.length > this.maxQueueBytes) {
      // A reply whose request was posted leaves that operation unpaired: the gap tells the worker.
      if (isRequest) this.droppedHere++;
      this.gaps.add(session);
      return;
    }
    if (this.gaps.delete(session)) this.entry(ENTRY.gap, session, 0, 0, 0);
    if (this.dataBytes + bytes.length > this.data.length) {
      this.flush();
      if (bytes.length > this.data.length) this.data = Buffer.allocUnsafeSlow(bytes.length);
    }
    bytes.copy(this.data, this.dataBytes);
    this.dataBytes += bytes.length;
    this.entry(isRequest ? ENTRY.request : ENTRY.reply, session, startUs, endUs, bytes.length);
  }

  close(session: number): void {
    if (this.crashed || this.ended) return;
    // Lost messages first: what can no longer be paired is dropped, not recorded without a reply.
    if (this.gaps.delete(session)) this.entry(ENTRY.gap, session, 0, 0, 0);
    this.entry(ENTRY.close, session, 0, 0, 0);
  }

  /** Posts what is batched, then waits for the worker to close the capture. */
  finish(): Promise<void> {
    this.done ??= (async () => {
      if (this.crashed) {
        this.ended = true;
        return;
      }
      this.flush();
      this.ended = true;
      const done = new Promise<{ failure?: string; files?: string[] } & Partial<Counts>>((resolve) => {
        this.worker.on('message', (m: { t: string; failure?: string; files?: string[] } & Partial<Counts>) => {
          if (m.t === 'done') resolve(m);
        });
        this.worker.once('exit', () => resolve({ failure: 'recording worker exited before closing the capture' }));
      });
      this.worker.postMessage({ t: 'finish', unposted: this.droppedHere });
      const last = await done;
      this.doneMessage = last;
      this.take(last);
      if (last.files) this.files = last.files;
      if (last.failure) {
        this.failure = last.failure;
        this.log(`proxy: closing the capture failed: ${last.failure}`);
      }
      await this.worker.terminate();
    })();
    return this.done;
  }

  private entry(kind: number, session: number, startUs: number, endUs: number, length: number): void {
    if (this.entries === BATCH_ENTRIES) this.flush();
    const at = this.entries++ * ENTRY_FIELDS;
    const m = this.meta;
    m[at] = kind;
    m[at + 1] = session;
    m[at + 2] = startUs;
    m[at + 3] = endUs;
    m[at + 4] = length;
    if (this.dataBytes >= BATCH_BYTES) this.flush();
    else this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      this.flush();
    }, BATCH_MS).unref();
  }

  private flush(): void {
    if ((this.entries === 0 && this.opens.length === 0) || this.crashed || this.ended) return;
    const meta = this.entries === BATCH_ENTRIES ? this.meta : this.meta.slice(0, this.entries * ENTRY_FIELDS);
    const data = this.data.buffer.slice(this.data.byteOffset, this.data.byteOffset + this.dataBytes) as ArrayBuffer;
    const bytes = this.dataBytes;
    this.worker.postMessage({ t: 'batch', opens: this.opens, meta, data, bytes }, [meta.buffer as ArrayBuffer, data]);
    this.inFlight += bytes;
    this.opens = [];
    if (meta === this.meta) this.meta = new Float64Array(BATCH_ENTRIES * ENTRY_FIELDS);
    this.entries = 0;
    this.dataBytes = 0;
  }

  private take(m: Partial<Counts>): void {
    if (m.recorded !== undefined) this.worker_ = { recorded: m.recorded, dropped: m.dropped ?? 0, parseErrors: m.parseErrors ?? 0, authSkipped: m.authSkipped ?? 0 };
  }

  private crash(reason: string): void {
    if (this.crashed) return;
    this.crashed = true;
    this.log(`proxy: recorder failed, recording stops, traffic continues: ${reason}`);
  }
}

/**
 * A TypeScript entry runs like the CLI does from sources: tsx registered first (Node 20
 * workers do not inherit loaders). A bundled one runs as it is, with source maps when
 * this thread has them (stack traces name the .ts files).
 */
function startWorker(entry: URL, workerData: unknown): Worker {
  if (entry.pathname.endsWith('.ts')) return new Worker(workerSource(entry), { eval: true, workerData });
  return new Worker(entry, { workerData, ...(process.sourceMapsEnabled ? { execArgv: [...process.execArgv, '--enable-source-maps'] } : {}) });
}

function workerSource(entry: URL): string {
  const tsx = pathToFileURL(tsxEsmApi()).href;
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
}

/** tsx's ESM register entry, from its package exports (require.resolve would give the CommonJS one). */
function tsxEsmApi(): string {
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return join(dirname(pkgPath), pkg.exports['./esm/api']!.import.default);
}
