import { open, type FileHandle } from 'node:fs/promises';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { CaptureUnreadableError, CaptureWriteError } from '../errors.ts';
import type { InputCut, SourceQuality } from './footer.ts';
import { ByteSink } from '../model/ejson/text.ts';
import { writeRecordLine } from './line-codec.ts';
import { CAPTURE_FORMAT, CAPTURE_FORMAT_VERSION, CaptureHeaderSchema, type CaptureHeader, type OperationRecord, type RecordSink } from '../model/record.ts';
import { partPath } from './parts.ts';
import { TOOL } from './tool.ts';

const gzipAsync = promisify(gzip);
/**
 * Level 1, by measurement: 256 KiB batches of bench/store lines, best of three
 * interleaved runs on the shared 2-core machine, CPU per record: level 1 0.90 µs
 * (20.6:1), level 3 0.97 µs (20.1:1), level 6 3.97 µs (23.1:1). Level 6 saves 11 % of
 * disk for four times the CPU on the recording host, where the proxy's latency matters
 * more. chunkSize 128 KiB: zlib's async API hops back to the main thread once per output
 * chunk; with the default 16 KiB the hops cost the main thread about a fifth of the write
 * path (profiled), with 128 KiB a batch takes one or two.
 */
const GZIP = { level: 1, chunkSize: 128 * 1024 } as const;
/** Room past the batch threshold, so a typical 1 KiB line never forces an early flush. */
const BATCH_SLACK = 16 * 1024;

export type CaptureHeaderInput = Omit<CaptureHeader, 'format' | 'version' | 'tool'>;

export interface CaptureWriterOptions {
  /** Start a new part once a file holds this many compressed bytes (default: never). */
  rotateBytes?: number;
  /**
   * Uncompressed bytes that may wait for disk before records are dropped (fail-open).
   * Default: no bound; lossless writers (ingest, split, merge) wait on `drain()` instead,
   * and the proxy passes its `proxy.maxQueueMb` setting.
   */
  maxQueueBytes?: number;
  /** A batch of lines becomes a gzip member at this many bytes (default 256 KiB). */
  chunkBytes?: number;
  /** Lines never wait longer than this before reaching the file (default 1000 ms). */
  flushIntervalMs?: number;
  /**
   * Called once, at once, when writing the file fails (ENOSPC, EIO, …): from then on every
   * record is dropped and counted, and close() rejects. A recorder says so on stderr
   * straight away instead of at exit.
   */
  onError?: (err: Error) => void;
}

export interface CaptureWriter extends RecordSink {
  /** Files written so far, in order (the first is the path given; later parts are rotations). */
  readonly files: string[];
  /** Records accepted and not lost since (not dropped). */
  readonly written: number;
  /** Records accepted, then lost because writing the file failed; counted in `dropped` too. */
  readonly lost: number;
  /** Why writing the file failed, once it has. */
  readonly failure: Error | undefined;
  /** Characters accepted but not yet on disk. */
  readonly queuedBytes: number;
  /**
   * Resolves once every record accepted so far is on disk. For producers that must not
   * lose records (ingest, split, merge): `if (w.queuedBytes > LIMIT) await w.drain()`.
   * The proxy never calls it: it drops instead of waiting.
   */
  drain(): Promise<void>;
  /** Records in the last footer that the input the capture was made from was cut short. */
  markInputCut(cut: InputCut): void;
  /** Records in the last footer what the source held and lost (named counters; the last call wins). */
  markQuality(quality: SourceQuality): void;
}

/**
 * Opens a capture for writing. Layout (captures/FORMAT.md): every file is a series of
 * independent gzip members; the first holds the header line alone, each later one a
 * batch of whole record lines. A reader needs no index, and a file cut short by a
 * crash loses at most the batch being written.
 *
 * Why members per batch and not one gzip stream: a stream's tail is only readable up
 * to its last flush point, and `Z_SYNC_FLUSH` per batch costs about as much as a new
 * member, which also lets batches compress on the libuv thread pool (zlib's async API)
 * while the caller keeps serialising: the two cores work in parallel.
 */
export async function openCaptureWriter(path: string, header: CaptureHeaderInput, options: CaptureWriterOptions = {}): Promise<CaptureWriter> {
  const full = CaptureHeaderSchema.parse({ ...header, format: CAPTURE_FORMAT, version: CAPTURE_FORMAT_VERSION, tool: TOOL });
  const writer = new GzipLinesWriter(path, full, options);
  await writer.openPart();
  return writer;
}

class GzipLinesWriter implements CaptureWriter {
  readonly files: string[] = [];
  written = 0;
  dropped = 0;
  lost = 0;

  private readonly headerMember: Promise<Buffer>;
  private readonly rotateBytes: number;
  private readonly maxQueueBytes: number;
  private readonly chunkBytes: number;
  /**
   * The batch being filled: each line is encoded straight into this buffer as UTF-8
   * (writeRecordLine), newline included; `batch.pos` is its length. Measured on
   * bench/store lines (best of 6, CPU per record): lines joined into one batch string
   * 24.8 µs, each line's string written into a buffer 14.1 µs; encode alone, best of 7:
   * the line's string written into the buffer 9.5 µs, bytes encoded in place 4.1–4.6 µs.
   */
  private batch: ByteSink;
  private pendingCount = 0;
  /** Bytes serialised but not yet on disk (batch + compressing + writing). */
  private pendingBytes = 0;
  private fh: FileHandle | undefined;
  private fileBytes = 0;
  /** Records and drops of the current part, for its footer. */
  private partRecords = 0;
  private partDropped = 0;
  private headerLength = 0;
  private inputCut: InputCut | undefined;
  private quality: SourceQuality | undefined;
  /** Members are appended strictly in order, whatever order compression finishes in. */
  private tail: Promise<void> = Promise.resolve();
  failure: Error | undefined;
  private readonly onError: ((err: Error) => void) | undefined;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly basePath: string,
    header: CaptureHeader,
    options: CaptureWriterOptions,
  ) {
    this.rotateBytes = options.rotateBytes ?? Infinity;
    this.maxQueueBytes = options.maxQueueBytes ?? Infinity;
    this.chunkBytes = options.chunkBytes ?? 256 * 1024;
    this.onError = options.onError;
    this.batch = new ByteSink(Buffer.allocUnsafe(this.chunkBytes + BATCH_SLACK));
    this.headerMember = gzipAsync(`${JSON.stringify(header)}\n`, GZIP);
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  async openPart(): Promise<void> {
    const path = partPath(this.basePath, this.files.length);
    try {
      this.fh = await open(path, 'w');
    } catch (err) {
      throw new CaptureUnreadableError(`cannot create capture file ${path}: ${(err as Error).message}`, { cause: err });
    }
    this.files.push(path);
    const member = await this.headerMember;
    await this.fh.write(member);
    this.fileBytes = member.length;
    this.headerLength = member.length;
  }

  get queuedBytes(): number {
    return this.pendingBytes;
  }

  drain(): Promise<void> {
    this.flush();
    return this.tail;
  }

  markInputCut(cut: InputCut): void {
    this.inputCut ??= cut;
  }

  markQuality(quality: SourceQuality): void {
    this.quality = Object.fromEntries(Object.entries(quality).filter(([, v]) => Number.isSafeInteger(v) && v >= 0));
  }

  write(record: OperationRecord): boolean {
    if (this.closed || this.failure !== undefined) {
      this.dropped++;
      this.partDropped++;
      return false;
    }
    const batch = this.batch;
    const start = batch.pos;
    try {
      writeRecordLine(record, batch);
    } catch (err) {
      batch.pos = start; // nothing of a line that could not be encoded stays in the batch
      throw err;
    }
    batch.byte(0x0a);
    const bytes = batch.pos - start;
    // The bound is a memory guard: a line that would pass it is taken back out of the batch.
    if (this.pendingBytes + bytes > this.maxQueueBytes) {
      batch.pos = start;
      this.dropped++;
      this.partDropped++;
      return false;
    }
    this.pendingCount++;
    this.pendingBytes += bytes;
    this.written++;
    if (batch.pos >= this.chunkBytes) this.flush();
    return true;
  }

  /** Hands the pending lines to compression as one member; ordering is kept by `tail`. */
  private flush(): void {
    if (this.pendingCount === 0) return;
    // zlib reads the batch on the thread pool: it keeps this buffer, the next batch gets a new one.
    const text = this.batch.buf.subarray(0, this.batch.pos);
    const chars = this.batch.pos;
    const count = this.pendingCount;
    this.batch = new ByteSink(Buffer.allocUnsafe(this.chunkBytes + BATCH_SLACK));
    this.pendingCount = 0;
    const compressed = gzipAsync(text, GZIP);
    compressed.catch(() => undefined); // observed through `tail`
    this.tail = this.tail.then(async () => {
      try {
        if (this.failure !== undefined) {
          this.lose(count);
          return;
        }
        const member = await compressed;
        // A part always takes at least one batch, so a batch larger than rotateBytes still lands.
        if (this.fileBytes > this.headerLength && this.fileBytes + member.length > this.rotateBytes) await this.rotate();
        await this.writeMember(member);
        this.partRecords += count;
      } catch (err) {
        this.lose(count);
        this.fail(err);
      } finally {
        this.pendingBytes -= chars;
      }
    });
  }

  /**
   * Appends a member whole or not at all: a write that fails part-way (a full disk) is
   * cut back off the file, so the file stays readable to its last whole member and a
   * footer may still follow it.
   */
  private async writeMember(member: Buffer): Promise<void> {
    try {
      // A short write (the disk filled mid-member) is continued: the next write reports why.
      for (let done = 0; done < member.length; ) {
        const { bytesWritten } = await this.fh!.write(member, done, member.length - done, this.fileBytes + done);
        if (bytesWritten === 0) throw Object.assign(new Error(`no progress writing ${member.length - done} bytes`), { code: 'EIO' });
        done += bytesWritten;
      }
    } catch (err) {
      await this.fh!.truncate(this.fileBytes).catch(() => undefined);
      throw err;
    }
    this.fileBytes += member.length;
  }

  /** Records accepted but never to reach the file. */
  private lose(count: number): void {
    this.lost += count;
    this.written -= count;
    this.dropped += count;
    this.partDropped += count;
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err instanceof Error ? err : new Error(String(err));
    this.onError?.(this.failure);
  }

  private async rotate(): Promise<void> {
    await this.writeFooter(false);
    await this.fh!.close();
    await this.openPart();
  }

  private async writeFooter(last: boolean): Promise<void> {
    const cut = last && this.inputCut ? { inputCut: this.inputCut } : {};
    const quality = last && this.quality ? { quality: this.quality } : {};
    const footer = { footer: { records: this.partRecords, dropped: this.partDropped, closedAt: new Date().toISOString(), last, ...cut, ...quality } };
    await this.writeMember(await gzipAsync(`${JSON.stringify(footer)}\n`, GZIP));
    this.partRecords = 0;
    this.partDropped = 0;
  }

  async close(): Promise<void> {
    if (this.closed) return this.tail;
    this.closed = true;
    clearInterval(this.timer);
    this.flush();
    await this.tail;
    // After a failed write too: the footer counts what was lost, when there is room for it.
    if (this.fh) {
      try {
        await this.writeFooter(true);
      } catch (err) {
        this.fail(err);
      }
    }
    await this.fh?.close();
    if (this.failure !== undefined) {
      throw new CaptureWriteError(
        `writing capture ${this.files.at(-1)} failed: ${this.failure.message}; ${this.lost} record(s) accepted before or after the failure were not written (counted as dropped, ${this.dropped} in all)`,
        { cause: this.failure },
      );
    }
  }
}
