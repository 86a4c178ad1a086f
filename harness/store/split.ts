import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UsageError } from '../errors.ts';
import { readCapture, readCaptureHeader, type CaptureIssue } from './reader.ts';
import type { CaptureHeader } from '../model/record.ts';
import { openCaptureWriter, type CaptureWriter } from './writer.ts';

/** Queue bound before split/merge wait for the disk: they must not drop records. */
export const LOSSLESS_QUEUE_BYTES = 8 * 1024 * 1024;

/**
 * FNV-1a (32-bit) of the connection id: stable across runs, machines and Node versions,
 * so shard k of a capture is the same set of connections in every CI job.
 */
export function connectionShard(conn: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < conn.length; i++) {
    h ^= conn.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

export interface SplitResult {
  files: string[];
  records: number[];
  issues: number;
}

/**
 * Splits a capture by connection into N shards, each a capture of its own (header with
 * `shard: {index, count}`), so separate CI jobs replay them; a connection's operations
 * stay together and in order. Records keep their `seq`, which `capture merge` uses to
 * restore the global order.
 */
export async function splitCapture(
  inputs: readonly string[],
  options: { shards: number; outDir: string; onIssue?: (issue: CaptureIssue) => void },
): Promise<SplitResult> {
  const { shards, outDir } = options;
  if (!Number.isInteger(shards) || shards < 1 || shards > 4096) throw new UsageError(`shards: must be an integer from 1 to 4096, got ${shards}`);
  if (inputs.length === 0) throw new UsageError('capture split needs at least one capture file');
  const header: CaptureHeader = await readCaptureHeader(inputs[0]!);
  await mkdir(outDir, { recursive: true });
  const stem = basename(inputs[0]!).replace(/(\.p\d{4})?(\.jsonl)?(\.gz)?$/, '');
  const { format: _f, version: _v, tool: _t, ...rest } = header;
  const writers: CaptureWriter[] = [];
  for (let i = 0; i < shards; i++) {
    const file = join(outDir, `${stem}.shard-${String(i + 1).padStart(3, '0')}-of-${String(shards).padStart(3, '0')}.jsonl.gz`);
    writers.push(await openCaptureWriter(file, { ...rest, shard: { index: i, count: shards } }));
  }
  let issues = 0;
  try {
    for await (const r of readCapture(inputs, { onIssue: (i) => (issues++, options.onIssue?.(i)) })) {
      const w = writers[connectionShard(r.conn, shards)]!;
      w.write(r);
      if (w.queuedBytes > LOSSLESS_QUEUE_BYTES) await w.drain();
    }
  } finally {
    await Promise.all(writers.map((w) => w.close()));
  }
  return { files: writers.flatMap((w) => w.files), records: writers.map((w) => w.written), issues };
}
