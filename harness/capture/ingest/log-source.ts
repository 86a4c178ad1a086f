import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { IngestInputError } from '../../errors.ts';
import type { OperationRecord } from '../../model/record.ts';
import type { InputCut } from '../../store/footer.ts';
import { isMongodLine, looksLikeOperation, stripLinePrefix } from './line-prefix.ts';
import { parseLogLine } from './log-line.ts';
import { LogOperations } from './log-operations.ts';
import type { IngestIssue, IngestCounters } from './summary.ts';

export interface LogSourceOptions {
  /** Label every record with this app instead of the log's appName. */
  readonly app?: string;
  readonly onIssue: (issue: IngestIssue) => void;
  /** A file that ends early or is damaged part-way: what came before it was read. */
  readonly onCut?: (cut: InputCut) => void;
  readonly counters: IngestCounters;
}

/** Why a line was reported (the JSON summary counts issues by these). */
export const LINE_REASONS = {
  /** The line has a known mongod layout but its operation could not be read. */
  unparseable: 'unparseable-operation',
  /** The line looks like an operation but matches no mongod layout (an unknown prefix, a reformatted line). */
  unknownLayout: 'unknown-line-layout',
  /** NUL bytes inside a line: a file zero-filled after a crash, or bytes that are not text. */
  damaged: 'damaged-bytes',
} as const;

/** A CRI partial line longer than this is not joined further (a runaway `P` chain): the line is reported. */
const MAX_JOINED = 64 * 1024 * 1024;

/**
 * Streams mongod log files (plain or gzip, rotated parts in the order given) line by
 * line and yields one record per slow operation. Prefixes added by container runtimes
 * and syslog are removed first (line-prefix.ts). Lines that are not operations are
 * skipped; lines that are, or look like one, and cannot be read are reported with file,
 * line number and reason. A file that stops being readable (gzip cut short, corrupt
 * compressed bytes, a read error) is reported through `onCut` with the byte where it
 * stopped, and the next file is read.
 */
export async function* logRecords(files: readonly string[], options: LogSourceOptions): AsyncGenerator<OperationRecord> {
  const { counters } = options;
  // Pairs per-statement write lines with their command and knows the server's own connections (log-operations.ts).
  const ops = new LogOperations(counters, options.app);
  for (const file of files) {
    const input = await openText(file);
    let n = 0;
    let joined = '';
    let joinedFrom = 0;
    try {
      for await (const line of splitLines(input)) {
        n++;
        counters.lines++;
        const stripped = stripLinePrefix(line);
        if (stripped.partial && joined.length + stripped.body.length < MAX_JOINED) {
          // CRI splits lines over 16 KiB into `P` records ended by an `F` one.
          if (joined === '') joinedFrom = n;
          joined += stripped.body;
          continue;
        }
        const body = joined === '' ? stripped.body : joined + stripped.body;
        const at = joined === '' ? n : joinedFrom;
        joined = '';
        const r = parseLogLine(body);
        if (r.kind === 'op' || r.kind === 'client' || r.kind === 'restart') {
          for (const rec of ops.push(r)) yield rec;
          continue;
        }
        if (r.kind === 'bad') {
          options.onIssue({ file, line: at, code: 'MC_INGEST_UNPARSEABLE_LINE', reason: LINE_REASONS.unparseable, message: r.message });
        } else if (body.includes('\u0000')) {
          options.onIssue({ file, line: at, code: 'MC_INGEST_UNPARSEABLE_LINE', reason: LINE_REASONS.damaged, message: 'NUL bytes in the line: the file is damaged here (zero-filled after a crash?)' });
        } else if (!isMongodLine(body) && looksLikeOperation(body)) {
          // A mongod line the parser skipped was skipped on purpose; only an unknown layout is suspect.
          const prefix = /^\S{0,40}/.exec(body)![0];
          options.onIssue({ file, line: at, code: 'MC_INGEST_UNPARSEABLE_LINE', reason: LINE_REASONS.unknownLayout, message: `looks like an operation but starts with "${prefix}", which is no mongod line layout or known prefix` });
        }
      }
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ? 'the gzip data ends early' : (err as Error).message || String(err);
      options.onCut?.({ input: file, at: `${input.gzip ? 'compressed ' : ''}byte ${input.bytesRead()}`, reason: `${why}; ${n} line(s) read before it` });
      continue;
    }
    if (joined !== '') {
      options.onIssue({ file, line: joinedFrom, code: 'MC_INGEST_UNPARSEABLE_LINE', reason: LINE_REASONS.unparseable, message: 'a partial (CRI "P") line never ended with its "F" part' });
    }
  }
  for (const rec of ops.end()) yield rec;
}

/** Lines of a text stream, `\n` or `\r\n`; a last line without a newline counts. */
async function* splitLines(input: LogInput): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let carry = '';
  for await (const chunk of input.stream as AsyncIterable<Buffer>) {
    input.plainBytes += chunk.length;
    const text = carry + decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      yield text.charCodeAt(nl - 1) === 13 && nl > start ? text.slice(start, nl - 1) : text.slice(start, nl);
      start = nl + 1;
    }
    carry = text.slice(start);
  }
  carry += decoder.decode();
  if (carry !== '') yield carry.endsWith('\r') ? carry.slice(0, -1) : carry;
}

interface LogInput {
  readonly stream: Readable;
  readonly gzip: boolean;
  /** Bytes the stream has given so far (decompressed for gzip). */
  plainBytes: number;
  /** Bytes of the file read so far: where a damaged file stopped being readable. */
  bytesRead(): number;
}

async function openText(file: string): Promise<LogInput> {
  let magic: Buffer;
  try {
    const fh = await open(file, 'r');
    try {
      const { buffer, bytesRead } = await fh.read(Buffer.alloc(2), 0, 2, 0);
      magic = buffer.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new IngestInputError(`${file}: cannot read log file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  const raw = createReadStream(file);
  // Rotated logs are often gzipped; the magic bytes say so whatever the name.
  if (!(magic[0] === 0x1f && magic[1] === 0x8b)) {
    const plain: LogInput = { stream: raw, gzip: false, plainBytes: 0, bytesRead: () => plain.plainBytes };
    return plain;
  }
  const gunzip = createGunzip();
  raw.on('error', (err) => gunzip.destroy(err));
  raw.pipe(gunzip);
  // zlib's bytesWritten: compressed bytes handed to the decoder, i.e. how far into the file it got.
  return { stream: gunzip, gzip: true, plainBytes: 0, bytesRead: () => gunzip.bytesWritten };
}
