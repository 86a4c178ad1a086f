import type { CaptureHeader, OperationRecord } from '../model/record.ts';
import { readCapture, readCaptureHeader, type ReadCaptureOptions } from './reader.ts';

/**
 * Several captures read as one. Files given together are either the parts of one
 * capture (rotated parts, shards of `capture split`: one header's `startedAt` and
 * source) or separate recordings (two proxies, two log files). Read one after the
 * other, separate recordings would pair operations that never met: both proxies
 * number their connections `p1:1`, `p1:2`…, so their connections would merge into one
 * (one worker, one cursor table, handshakes taken for the app's own `hello`), and both
 * number their records from 0. Here they are merged as `capture merge` merges them:
 * ordered by start time, `seq` renumbered from 0, and each recording's connections
 * named apart (`2/p1:1`), so replaying `a b` is replaying `capture merge a b`.
 */

/** The files of one recording, in the order given, and the header of its first. */
export interface CaptureGroup {
  readonly files: readonly string[];
  readonly header: CaptureHeader;
}

/**
 * Whether two headers are of one recording: rotated parts repeat their capture's header,
 * and `capture split` copies it into every shard with `shard` set (and its own `tool`).
 */
export function sameRecording(a: CaptureHeader, b: CaptureHeader): boolean {
  return recordingKey(a) === recordingKey(b);
}

function recordingKey(h: CaptureHeader): string {
  const { shard: _s, tool: _t, ...rest } = h;
  return JSON.stringify(rest);
}

/**
 * Groups `paths` into recordings: a file joins the group of an earlier file of the same
 * recording. `headers`, when the caller has read them already, are the files' headers in
 * the same order.
 */
export async function groupRecordings(paths: readonly string[], headers?: readonly CaptureHeader[]): Promise<CaptureGroup[]> {
  const groups: { files: string[]; header: CaptureHeader }[] = [];
  for (const [i, file] of paths.entries()) {
    const header = headers?.[i] ?? (await readCaptureHeader(file));
    const group = groups.find((g) => sameRecording(g.header, header));
    if (group) group.files.push(file);
    else groups.push({ files: [file], header });
  }
  return groups;
}

/** A connection of recording `index` (0-based) of several, named apart from the others' (`2/p1:1`). */
export function recordingConn(index: number, conn: string): string {
  return `${index + 1}/${conn}`;
}

/**
 * The records of `paths` as one stream: one recording's files in the order given (as
 * `readCapture`), several recordings merged by start time `t` (ties: the order given,
 * then `seq`), renumbered and with their connections named apart. Memory stays flat:
 * one record ahead per recording.
 */
export async function* readRecordings(paths: readonly string[], options: ReadCaptureOptions = {}, headers?: readonly CaptureHeader[]): AsyncIterable<OperationRecord> {
  const groups = await groupRecordings(paths, headers);
  if (groups.length <= 1) {
    yield* readCapture(paths, options);
    return;
  }
  yield* mergeRecordings(
    groups.map((g) => readCapture(g.files, options)),
    'time',
  );
}

/**
 * A k-way merge of record streams. `seq`: shards of one capture, their original
 * numbering kept. `time`: separate recordings, ordered by start time, renumbered from 0
 * and, when there are several, their connections named apart (`recordingConn`).
 */
export async function* mergeRecordings(streams: readonly AsyncIterable<OperationRecord>[], order: 'seq' | 'time'): AsyncIterable<OperationRecord> {
  const iters = streams.map((s) => s[Symbol.asyncIterator]());
  const next = async (i: number): Promise<OperationRecord | undefined> => (await iters[i]!.next()).value as OperationRecord | undefined;
  const heads: Array<OperationRecord | undefined> = await Promise.all(iters.map((_, i) => next(i)));
  const before = order === 'seq' ? (a: OperationRecord, b: OperationRecord) => a.seq < b.seq : (a: OperationRecord, b: OperationRecord) => a.t < b.t;
  const apart = order === 'time' && iters.length > 1;
  let seq = 0;
  try {
    for (;;) {
      // Linear scan for the smallest head: k is the number of inputs (tens), a heap would
      // not pay for itself; strict `<` keeps the order given on ties.
      let min = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h !== undefined && (min === -1 || before(h, heads[min]!))) min = i;
      }
      if (min === -1) break;
      const rec = heads[min]!;
      yield order === 'seq' ? rec : { ...rec, seq: seq++, conn: apart ? recordingConn(min, rec.conn) : rec.conn };
      heads[min] = await next(min);
    }
  } finally {
    await Promise.all(iters.map((it) => it.return?.()));
  }
}
