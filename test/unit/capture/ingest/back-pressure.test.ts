import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runIngest, type IngestSink } from '../../../../harness/capture/ingest/ingest.ts';
import type { OperationRecord } from '../../../../harness/model/record.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-ingest-bp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A sink whose "disk" only moves when the producer waits for it: the worst case of a
 * writer slower than the log reader. Bounded like the capture writer (drops and counts
 * past its queue), so a producer without back-pressure loses records here for sure.
 */
class SlowDiskSink implements IngestSink {
  dropped = 0;
  stored = 0;
  queuedBytes = 0;
  drains = 0;
  constructor(private readonly maxQueueBytes: number) {}
  write(record: OperationRecord): boolean {
    const size = JSON.stringify(record.command).length;
    if (this.queuedBytes + size > this.maxQueueBytes) {
      this.dropped++;
      return false;
    }
    this.queuedBytes += size;
    this.stored++;
    return true;
  }
  async drain(): Promise<void> {
    this.drains++;
    // The disk finishes on a later turn of the loop: the producer must really wait for
    // it. How long it takes does not matter, the producer awaits it either way.
    await new Promise((r) => setImmediate(r));
    this.queuedBytes = 0;
  }
  async close(): Promise<void> {}
}

describe('ingest back-pressure', () => {
  it('waits for a slow writer instead of dropping records of a large log', async () => {
    // 4.4+ structured slow-query lines with ~2 KiB commands: 6,000 of them are ~12 MiB, three times the sink's queue.
    const pad = 'x'.repeat(2000);
    const lines: string[] = [];
    for (let i = 0; i < 6000; i++) {
      lines.push(
        JSON.stringify({
          t: { $date: '2021-01-30T19:24:17.829+00:00' },
          s: 'I',
          c: 'COMMAND',
          id: 51803,
          ctx: `conn${i % 7}`,
          msg: 'Slow query',
          attr: { type: 'command', ns: 'app.jobs', command: { find: 'jobs', filter: { i, pad }, $db: 'app' }, durationMillis: 120 },
        }),
      );
    }
    const log = join(dir, 'big.log');
    writeFileSync(log, `${lines.join('\n')}\n`);
    const sink = new SlowDiskSink(6 * 1024 * 1024);
    const res = await runIngest({ source: { kind: 'log', files: [log] }, out: join(dir, 'out.jsonl.gz'), openSink: async () => sink });
    expect(res.records).toBe(6000);
    expect(sink.dropped).toBe(0);
    expect(sink.stored).toBe(6000);
    expect(sink.drains).toBeGreaterThan(0);
  });
});
