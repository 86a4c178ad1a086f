import { basename } from 'node:path';
import { UsageError } from '../errors.ts';
import { readCapture, readCaptureHeader, type CaptureIssue } from './reader.ts';
import type { CaptureHeader, OperationRecord } from '../model/record.ts';
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
 * Merges captures into one, streaming: a k-way merge that holds one record per input.
 *
 * Shards written by `capture split` of one capture carry their original `seq`, so
 * ordering by `seq` restores the capture exactly. Captures recorded separately (two
 * proxies, two log files) have independent `seq`s: they are ordered by start time `t`
 * (ties: input order, then `seq`) and renumbered from 0.
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
  const iters = inputs.map((f) => readCapture(f, { onIssue })[Symbol.asyncIterator]());
  const heads: Array<OperationRecord | undefined> = await Promise.all(iters.map(async (it) => (await it.next()).value as OperationRecord | undefined));
  const before = order === 'seq' ? (a: OperationRecord, b: OperationRecord) => a.seq < b.seq : (a: OperationRecord, b: OperationRecord) => a.t < b.t;
  let seq = 0;
  try {
    for (;;) {
      // Linear scan for the smallest head: k is the number of shards (tens), a heap
      // would not pay for itself; strict `<` keeps input order on ties.
      let min = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h !== undefined && (min === -1 || before(h, heads[min]!))) min = i;
      }
      if (min === -1) break;
      const rec = heads[min]!;
      w.write(order === 'seq' ? rec : { ...rec, seq: seq++ });
      if (w.queuedBytes > LOSSLESS_QUEUE_BYTES) await w.drain();
      heads[min] = (await iters[min]!.next()).value as OperationRecord | undefined;
    }
  } finally {
    await Promise.all(iters.map((it) => it.return?.()));
    await w.close();
  }
  return { file: options.out, records: w.written, order, issues };
}
