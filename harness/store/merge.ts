import { basename } from 'node:path';
import { UsageError } from '../errors.ts';
import { groupRecordings, mergeRecordings } from './captures.ts';
import { readCapture, readCaptureHeader, type CaptureIssue } from './reader.ts';
import type { CaptureHeader } from '../model/record.ts';
import { LOSSLESS_QUEUE_BYTES } from './split.ts';
import { openCaptureWriter } from './writer.ts';

export interface MergeResult {
  file: string;
  records: number;
  /** `seq`: shards of one capture, original numbering kept; `time`: separate captures, ordered by start time and renumbered. */
  order: 'seq' | 'time';
  issues: number;
}

/**
 * Merges captures into one, streaming: a k-way merge that holds one record per input
 * (captures.ts, which a replay of several recordings reads through too).
 *
 * Shards written by `capture split` of one capture carry their original `seq`, so
 * ordering by `seq` restores the capture exactly. Captures recorded separately (two
 * proxies, two log files) have independent `seq`s and connection ids: they are ordered
 * by start time `t` (ties: input order, then `seq`), renumbered from 0, and each
 * recording's connections are named apart (`2/p1:1`); the rotated parts of one
 * recording stay one stream.
 */
export async function mergeCaptures(inputs: readonly string[], options: { out: string; onIssue?: (issue: CaptureIssue) => void }): Promise<MergeResult> {
  if (inputs.length === 0) throw new UsageError('capture merge needs at least one capture file');
  if (inputs.includes(options.out)) throw new UsageError(`out: ${options.out} is also an input`);
  const headers: CaptureHeader[] = [];
  for (const f of inputs) headers.push(await readCaptureHeader(f));
  const first = headers[0]!;
  const order = headers.every((h) => h.shard && h.shard.count === first.shard?.count && h.startedAt === first.startedAt) ? 'seq' : 'time';
  const { format: _f, version: _v, tool: _t, shard: _s, ...rest } = first;
  const startedAt = headers.map((h) => h.startedAt).sort()[0]!;
  const sameApp = headers.every((h) => h.app === first.app);
  const header = {
    ...rest,
    startedAt,
    ...(sameApp ? {} : { app: undefined }),
    source: { ...first.source, inputs: inputs.map((f) => basename(f)) },
  };
  const w = await openCaptureWriter(options.out, header);
  let issues = 0;
  const onIssue = (i: CaptureIssue): void => {
    issues++;
    options.onIssue?.(i);
  };
  // Shards: one stream per file, by seq. Separate recordings: one stream per recording (its rotated parts in order), by time.
  const streams = order === 'seq' ? inputs.map((f) => readCapture(f, { onIssue })) : (await groupRecordings(inputs, headers)).map((g) => readCapture(g.files, { onIssue }));
  try {
    for await (const rec of mergeRecordings(streams, order)) {
      w.write(rec);
      if (w.queuedBytes > LOSSLESS_QUEUE_BYTES) await w.drain();
    }
  } finally {
    await w.close();
  }
  return { file: options.out, records: w.written, order, issues };
}
