import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON } from 'mongodb';
import { readCapture, type CaptureIssue } from '../../../harness/store/reader.ts';
import type { OperationRecord } from '../../../harness/model/record.ts';
import type { CaptureHeaderInput } from '../../../harness/store/writer.ts';

export const HEADER: CaptureHeaderInput = {
  app: 'monolith',
  source: { kind: 'proxy', host: '127.0.0.1:27017' },
  startedAt: '2026-11-26T10:00:00.000Z',
  redaction: { mode: 'none' },
  replyMode: 'full',
};

/** A temp dir per test file, removed by the returned cleanup. */
export function tempDir(): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mc-store-'));
  return { dir, path: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A realistic find on the job queue. */
export function sampleRecord(seq: number, conn = `p1:${seq % 3}`, extra: Partial<OperationRecord> = {}): OperationRecord {
  return {
    seq,
    t: 1_795_000_000_000_000 + seq * 1000,
    dur: 120 + (seq % 7),
    conn,
    app: seq % 2 === 0 ? 'monolith' : 'gcsp',
    db: 'prod',
    coll: 'jobs',
    cmd: 'find',
    op: 'OP_MSG',
    command: { find: 'jobs', filter: { status: 'pending', priority: { $gte: new BSON.Int32(seq % 5) } }, sort: { priority: -1 }, $db: 'prod' },
    reply: { mode: 'full', doc: { cursor: { id: BSON.Long.ZERO, ns: 'prod.jobs', firstBatch: [] }, ok: new BSON.Double(1) } },
    ...extra,
  };
}

export async function readAll(paths: string | string[]): Promise<{ records: OperationRecord[]; issues: CaptureIssue[] }> {
  const records: OperationRecord[] = [];
  const issues: CaptureIssue[] = [];
  for await (const r of readCapture(paths, { onIssue: (i) => issues.push(i) })) records.push(r);
  return { records, issues };
}
