import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logRecords } from '../../../../harness/capture/ingest/log-source.ts';
import { newCounters, type IngestIssue } from '../../../../harness/capture/ingest/summary.ts';
import type { OperationRecord } from '../../../../harness/model/record.ts';
import type { InputCut } from '../../../../harness/store/footer.ts';

const line = (i: number): string =>
  `{"t":{"$date":"2024-01-01T00:00:00.000+00:00"},"s":"I","c":"COMMAND","id":51803,"ctx":"conn${i}","msg":"Slow query","attr":{"type":"command","ns":"shop.orders","command":{"find":"orders","filter":{"n":${i}},"$db":"shop"},"durationMillis":${i + 1}}}`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-log-source-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function read(files: string[]): Promise<{ records: OperationRecord[]; issues: IngestIssue[]; cuts: InputCut[] }> {
  const records: OperationRecord[] = [];
  const issues: IngestIssue[] = [];
  const cuts: InputCut[] = [];
  for await (const r of logRecords(files, { onIssue: (i) => issues.push(i), onCut: (c) => cuts.push(c), counters: newCounters() })) records.push(r);
  return { records, issues, cuts };
}

describe('logRecords: damaged and prefixed input', () => {
  it('corrupt compressed bytes cut the file at the compressed offset reached; the next file is still read', async () => {
    const z = Buffer.from(gzipSync(Array.from({ length: 3000 }, (_, i) => line(i)).join('\n')));
    // Past the 10-byte header, inside the deflate data: a bad block type or distance.
    for (let i = Math.floor(z.length / 2); i < Math.floor(z.length / 2) + 64; i++) z[i] = 0xff;
    const bad = join(dir, 'corrupt.log.gz');
    await writeFile(bad, z);
    const good = join(dir, 'next.log');
    await writeFile(good, `${line(9)}\n`);
    const { records, cuts } = await read([bad, good]);
    expect(cuts).toHaveLength(1);
    expect(cuts[0]!.input).toBe(bad);
    const at = Number(/^compressed byte (\d+)$/.exec(cuts[0]!.at)![1]);
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThanOrEqual(z.length);
    expect(records.at(-1)!.conn).toBe('conn9');
  });

  it('joins Kubernetes CRI partial records into the line they continue, numbered by its first record', async () => {
    const whole = line(3);
    const file = join(dir, 'cri.log');
    await writeFile(file, [`2024-01-01T00:00:00.1Z stdout P ${whole.slice(0, 40)}`, `2024-01-01T00:00:00.2Z stdout P ${whole.slice(40, 90)}`, `2024-01-01T00:00:00.3Z stdout F ${whole.slice(90)}`].join('\n'));
    const { records, issues } = await read([file]);
    expect(issues).toEqual([]);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ cmd: 'find', conn: 'conn3', dur: 4000 });
  });

  it('reports NUL-damaged and unknown-layout lines with their line numbers and reasons, skips ordinary noise', async () => {
    const file = join(dir, 'mixed.log');
    await writeFile(file, ['hello world', `\u0000\u0000\u0000${line(1)}`, `weird-prefix>> ${line(2)}`, line(4)].join('\r\n'));
    const { records, issues } = await read([file]);
    expect(issues.map((i) => [i.line, i.reason])).toEqual([
      [2, 'damaged-bytes'],
      [3, 'unknown-line-layout'],
    ]);
    expect(records.map((r) => r.conn)).toEqual(['conn4']);
  });
});
