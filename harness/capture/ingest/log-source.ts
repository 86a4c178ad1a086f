import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { IngestInputError } from '../../errors.ts';
import type { OperationRecord } from '../../model/record.ts';
import { parseLogLine } from './log-line.ts';
import { toRecord } from './slow-op.ts';
import type { IngestIssue, IngestCounters } from './summary.ts';

export interface LogSourceOptions {
  /** Label every record with this app instead of the log's appName. */
  readonly app?: string;
  readonly onIssue: (issue: IngestIssue) => void;
  readonly counters: IngestCounters;
}

/**
 * Streams mongod log files (plain or gzip, rotated parts in the order given) line by
 * line and yields one record per slow operation. Lines that are not operations are
 * skipped silently; operation lines that cannot be read are reported with file and
 * line number and skipped.
 */
export async function* logRecords(files: readonly string[], options: LogSourceOptions): AsyncGenerator<OperationRecord> {
  const { counters } = options;
  for (const file of files) {
    const lines = createInterface({ input: await openText(file), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      counters.lines++;
      const r = parseLogLine(line);
      if (r.kind === 'skip') continue;
      if (r.kind === 'bad') {
        options.onIssue({ file, line: n, code: 'MC_INGEST_UNPARSEABLE_LINE', message: r.message });
        continue;
      }
      yield toRecord(r.op, counters.records++, options.app);
    }
  }
}

async function openText(file: string): Promise<Readable> {
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
  return magic[0] === 0x1f && magic[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
}
