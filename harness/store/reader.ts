import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { constants, createGunzip } from 'node:zlib';
import { CaptureConcatenatedError, CaptureUnreadableError, CaptureVersionError } from '../errors.ts';
import { CaptureFooterSchema, FOOTER_PREFIX, type CaptureFooter } from './footer.ts';
import { LINE_ISSUES, decodeRecordLine, describeIssue } from './line-codec.ts';
import { LineSplitter } from './lines.ts';
import { decodeMember, members } from './resync.ts';
import { CAPTURE_FORMAT, CAPTURE_FORMAT_VERSION, CaptureHeaderSchema, type CaptureHeader, type OperationRecord } from '../model/record.ts';

/** A record line that was skipped, or the damaged tail of a file. */
export interface CaptureIssue {
  readonly file: string;
  /** 1-based line in the decompressed file (the header is line 1). */
  readonly line: number;
  readonly code: string;
  readonly message: string;
}

export interface ReadCaptureOptions {
  onIssue?: (issue: CaptureIssue) => void;
  /** Called with each file's header before its records. */
  onHeader?: (header: CaptureHeader, file: string) => void;
  /** Called after each file: its footer, or undefined when the writer never closed it (crash, still open). */
  onFooter?: (footer: CaptureFooter | undefined, file: string) => void;
  /** Called after a file whose compressed data was damaged: what was skipped, and what was read after it. */
  onDamage?: (damage: CaptureDamage) => void;
}

/** Damage in one file's compressed data, and the recovery after it (resync.ts). */
export interface CaptureDamage {
  readonly file: string;
  /** Gzip members that could not be decoded, and their compressed bytes (skipped). */
  readonly members: number;
  readonly bytesSkipped: number;
  /** Records read after the first damaged member. */
  readonly recordsRecovered: number;
  /** The rest of the file could not be resynchronised (no member of ours after the damage). */
  readonly restLost: boolean;
}

/**
 * Streams the records of one capture file or of several in the order given (rotated
 * parts, shards). Memory stays flat: one decompressed chunk and one line at a time.
 *
 * A file that cannot be a capture at all (missing, empty, not gzip, another tool's,
 * unknown version) throws a CompatError before any of its records. Inside a valid
 * file, bad lines are reported through `onIssue` and skipped; a file cut short (crash)
 * yields every complete record and reports the cut as MC_CAPTURE_TRUNCATED.
 */
export async function* readCapture(paths: string | readonly string[], options: ReadCaptureOptions = {}): AsyncIterable<OperationRecord> {
  const files = typeof paths === 'string' ? [paths] : paths;
  const onIssue = options.onIssue ?? (() => undefined);
  for (const file of files) {
    let lineNo = 0;
    let header: CaptureHeader | undefined;
    let footer: CaptureFooter | undefined;
    let damage: { members: number; bytesSkipped: number; recordsRecovered: number; restLost: boolean } | undefined;
    for await (const batch of readLines(file)) {
      if (!Array.isArray(batch)) {
        if (batch.skipped !== undefined) {
          damage ??= { members: 0, bytesSkipped: 0, recordsRecovered: 0, restLost: false };
          if (batch.skipped === 'rest') damage.restLost = true;
          else {
            damage.members++;
            damage.bytesSkipped += batch.skipped;
          }
        }
        onIssue({ file, line: lineNo + 1, code: batch.code, message: batch.message });
        continue;
      }
      for (const line of batch) {
        lineNo++;
        if (header === undefined) {
          header = parseHeader(line, file);
          options.onHeader?.(header, file);
          continue;
        }
        if (line.startsWith(HEADER_PREFIX)) throw concatenated(file, lineNo, line);
        if (line.length === 0) continue;
        if (line.startsWith(FOOTER_PREFIX)) {
          footer = parseFooter(line);
          if (footer === undefined) onIssue({ file, line: lineNo, code: LINE_ISSUES.invalid, message: 'footer: not a valid footer line' });
          continue;
        }
        const decoded = decodeRecordLine(line);
        if (decoded.ok) {
          if (damage) damage.recordsRecovered++;
          yield decoded.record;
        } else onIssue({ file, line: lineNo, code: decoded.code, message: decoded.message });
      }
    }
    if (header === undefined) throw new CaptureUnreadableError(`${file}: no header line (file cut short before its first line)`);
    options.onFooter?.(footer, file);
    if (damage) options.onDamage?.({ file, ...damage });
  }
}

/** How every header line begins (JSON.stringify of the schema-ordered header): a record line never does. */
const HEADER_PREFIX = `{"format":"${CAPTURE_FORMAT}"`;

/**
 * A second header inside a file: two captures joined (`cat a b > c`). Refused rather
 * than read as one: their seq values would collide and their connection ids merge, so
 * a replay would pair and order operations that never met.
 */
function concatenated(file: string, line: number, text: string): CaptureConcatenatedError {
  const startedAt = /"startedAt":"([^"]*)"/.exec(text)?.[1];
  return new CaptureConcatenatedError(
    `${file}:${line}: a second capture header${startedAt ? ` (started ${startedAt})` : ''}: this file is several captures joined; give each capture as its own file (the part before line ${line} is one)`,
  );
}

function parseFooter(line: string): CaptureFooter | undefined {
  try {
    const parsed = CaptureFooterSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data.footer : undefined;
  } catch {
    return undefined;
  }
}

/** The header of one capture file, checked; reads only the first member. */
export async function readCaptureHeader(path: string): Promise<CaptureHeader> {
  for await (const batch of readLines(path)) {
    if (!Array.isArray(batch) || batch.length === 0) break;
    return parseHeader(batch[0]!, path);
  }
  throw new CaptureUnreadableError(`${path}: no header line (file cut short before its first line)`);
}

/** Bytes read from a file's end to find its footer: the footer member is a few hundred bytes. */
const FOOTER_TAIL = 64 * 1024;
/** The fixed start of every member the writer makes (resync.ts): magic, deflate, no flags, mtime 0. */
const MEMBER_HEAD = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00]);

/**
 * The footer of one capture file, read from its end alone (no pass over the records):
 * the writer closes a file with the footer as its own last gzip member. Undefined when
 * the file has no footer there (never closed: a crash, still recording; another
 * writer's file; damage), so callers fall back to counting as they read. Errors opening
 * the file are left to readCapture, which names them.
 */
export async function readCaptureFooter(path: string): Promise<CaptureFooter | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, FOOTER_TAIL);
    const tail = Buffer.alloc(length);
    await fh.read(tail, 0, length, size - length);
    // The last member head whose bytes decode as a whole member holding the footer line.
    for (let at = tail.lastIndexOf(MEMBER_HEAD); at >= 0; at = at > 0 ? tail.lastIndexOf(MEMBER_HEAD, at - 1) : -1) {
      const d = decodeMember({ offset: size - length + at, bytes: tail.subarray(at), last: true });
      if (!d.ok || d.cut) continue;
      const text = d.text.toString('utf8');
      if (!text.startsWith(FOOTER_PREFIX)) return undefined;
      return parseFooter(text.trimEnd());
    }
    return undefined;
  } finally {
    await fh.close();
  }
}

/** Gzip magic (RFC 1952 §2.3.1): ID1 ID2 and CM=8 (deflate). */
const GZIP_MAGIC = [0x1f, 0x8b, 0x08] as const;

/**
 * Decompressed bytes per chunk: the stream's cost is per chunk, on the main thread.
 * Measured on a bench/store capture (200k records, 215 MB decompressed), gunzip stream
 * alone, wall time per record: 64 KiB chunks 3.7–3.9 µs, 256 KiB 1.6–1.7 µs, 1 MiB
 * 1.3 µs. Reading 1M records end to end, 256 KiB / 512 KiB / 1 MiB: 78k / 75k / 76k
 * records per CPU-second, peak RSS 143 / 148 / 199 MB. Lines are decoded one by one
 * (LineSplitter), so a chunk never becomes one big string.
 */
const GUNZIP_CHUNK = 256 * 1024;

/**
 * Decompressed lines of a file, a batch per chunk (one await per chunk, not per line:
 * async-generator hops per line cost more than the parse); a trailing `{code, message}`
 * when the file ends inside a line or its compressed stream is damaged. Throws (one
 * line) when the file is not gzip.
 */
type LineBatch = string[] | { code: string; message: string; skipped?: number | 'rest' };

async function* readLines(file: string): AsyncGenerator<LineBatch> {
  await checkGzip(file);
  // Z_SYNC_FLUSH at end of input: a member cut short yields what it decompressed so
  // far instead of an "unexpected end of file" error, so a crash-truncated capture is
  // readable up to its last complete line.
  const gunzip = createGunzip({ finishFlush: constants.Z_SYNC_FLUSH, chunkSize: GUNZIP_CHUNK });
  const source = createReadStream(file, { highWaterMark: 256 * 1024 });
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  const splitter = new LineSplitter();
  /** Decompressed bytes handed to the splitter. */
  let decompressed = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      decompressed += chunk.length;
      const lines = splitter.push(chunk);
      if (lines.length > 0) yield lines;
    }
  } catch (err) {
    const consumed = gunzip.bytesWritten;
    source.destroy();
    gunzip.destroy();
    yield* resyncLines(file, consumed, decompressed - splitter.pendingBytes, (err as Error).message);
    return;
  } finally {
    // Also on early exit (a consumer that stops reading): release the file descriptor now.
    source.destroy();
    gunzip.destroy();
  }
  if (splitter.pendingBytes > 0) yield { code: LINE_ISSUES.truncated, message: `file ends inside a record (${splitter.pendingBytes} bytes dropped)` };
}

async function checkGzip(file: string): Promise<void> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new CaptureUnreadableError(`${file}: cannot open (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  try {
    const { bytesRead, buffer } = await fh.read(Buffer.alloc(3), 0, 3, 0);
    if (bytesRead === 0) throw new CaptureUnreadableError(`${file}: empty file, not a capture`);
    if (bytesRead < 3 || GZIP_MAGIC.some((b, i) => buffer[i] !== b)) {
      throw new CaptureUnreadableError(`${file}: not a gzip file, so not a mongo-compat capture`);
    }
  } finally {
    await fh.close();
  }
}

function parseHeader(line: string, file: string): CaptureHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new CaptureUnreadableError(`${file}:1: first line is not JSON, so not a mongo-compat capture`);
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (format !== CAPTURE_FORMAT) {
    throw new CaptureUnreadableError(`${file}:1: not a mongo-compat capture (format ${JSON.stringify(format ?? null)})`);
  }
  const version = (raw as { version?: unknown }).version;
  if (version !== CAPTURE_FORMAT_VERSION) {
    throw new CaptureVersionError(`${file}:1: capture format version ${JSON.stringify(version)} is not supported (this build reads version ${CAPTURE_FORMAT_VERSION})`);
  }
  const parsed = CaptureHeaderSchema.safeParse(raw);
  if (!parsed.success) throw new CaptureUnreadableError(`${file}:1: invalid capture header: ${describeIssue(parsed.error)}`);
  return parsed.data;
}

/**
 * After the gunzip stream failed, having taken in `consumed` compressed bytes and handed
 * on `emitted` decompressed bytes as whole lines: finds the damaged member (the first
 * that does not decode), reads what the stream had not yet handed on before it, reports
 * and skips it, and reads the members after it one by one, each damaged one skipped the
 * same way (resync.ts). Members the stream read whole long before the failure are
 * counted by their trailer's size field instead of being decoded again.
 */
async function* resyncLines(file: string, consumed: number, emitted: number, why: string): AsyncGenerator<LineBatch> {
  /** The stream reads its input 256 KiB at a time: members ending this far before its position were read whole. */
  const settled = consumed - 1024 * 1024;
  /** Decompressed bytes of the members before this one. */
  let out = 0;
  let after = false;
  const splitter = new LineSplitter();
  for await (const m of members(file)) {
    if ('tooLong' in m) {
      after = true;
      yield { code: LINE_ISSUES.gzip, message: `compressed data at byte ${m.offset} is not a batch of this format (${m.length} bytes): skipped`, skipped: m.length };
      continue;
    }
    if (!after && m.offset + m.bytes.length < settled && m.bytes.length >= 18) {
      const size = m.bytes.readUInt32LE(m.bytes.length - 4);
      if (out + size <= emitted) {
        out += size;
        continue;
      }
    }
    const d = decodeMember(m);
    if (!d.ok) {
      after = true;
      yield {
        code: LINE_ISSUES.gzip,
        message: `compressed data damaged in the gzip member at byte ${m.offset} (${d.message}): its ${m.bytes.length} bytes are skipped, reading resumes at the next member`,
        skipped: m.bytes.length,
      };
      continue;
    }
    let text = d.text;
    if (!after) {
      // Before the damage: only what the stream had not handed on yet.
      const done = Math.min(text.length, Math.max(0, emitted - out));
      out += text.length;
      text = text.subarray(done);
    }
    const lines = splitter.push(text);
    if (lines.length > 0) yield lines;
    if (d.cut) break;
  }
  if (!after) {
    yield { code: LINE_ISSUES.gzip, message: `compressed data damaged (${why}); no member of this format follows, the rest of the file is skipped`, skipped: 'rest' };
    return;
  }
  if (splitter.pendingBytes > 0) yield { code: LINE_ISSUES.truncated, message: `file ends inside a record (${splitter.pendingBytes} bytes dropped)` };
}
