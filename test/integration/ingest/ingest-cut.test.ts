import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-ingest-cut-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A 4.4+ slow-query line as mongod writes it, with a distinct filter per line so the gzip stays long. */
function slowQuery(i: number): string {
  return JSON.stringify({
    t: { $date: '2024-01-01T00:00:00.000+00:00' },
    s: 'I',
    c: 'COMMAND',
    id: 51803,
    ctx: `conn${i % 7}`,
    msg: 'Slow query',
    attr: { type: 'command', ns: 'shop.orders', appName: 'shop', command: { find: 'orders', filter: { n: i, tag: `t${(i * 7919) % 10007}` }, $db: 'shop' }, durationMillis: 100 + (i % 50) },
  });
}

describe('mongo-compat ingest on input cut short', () => {
  it('a gzip log cut short: summary of what was read, one MC_ line naming file and offset, non-zero exit, and capture info shows the cut', async () => {
    const whole = gzipSync(`${Array.from({ length: 5000 }, (_, i) => slowQuery(i)).join('\n')}\n`);
    const log = join(dir, 'mongod.log.gz');
    const cutAt = Math.floor(whole.length * 0.6);
    await writeFile(log, whole.subarray(0, cutAt));
    const out = join(dir, 'cut.jsonl.gz');

    const r = await runCli(['ingest', '--log', log, '--out', out]);
    expect(r.code).not.toBe(0);
    const summary = JSON.parse(r.stdout) as { records: number; inputCut: { input: string; at: string; reason: string } };
    expect(summary.records).toBeGreaterThan(100);
    expect(summary.records).toBeLessThan(5000);
    expect(summary.inputCut).toEqual({ input: log, at: `compressed byte ${cutAt}`, reason: expect.stringContaining('gzip data ends early') as unknown as string });
    const last = r.stderr.trim().split('\n').at(-1)!;
    expect(last).toBe(`mongo-compat: MC_INGEST_TRUNCATED: ${log}: input cut short at compressed byte ${cutAt}: ${summary.inputCut.reason}; the capture holds what came before`);

    const info = await runCli(['capture', 'info', out, '--json']);
    expect(info.code, info.stderr).toBe(0);
    const s = JSON.parse(info.stdout) as { records: number; inputCut: Array<{ input: string; at: string }> };
    expect(s.records).toBe(summary.records);
    expect(s.inputCut).toEqual([expect.objectContaining({ file: out, input: log, at: `compressed byte ${cutAt}` })]);
    const text = await runCli(['capture', 'info', out]);
    expect(text.stderr + text.stdout).toContain(`INPUT CUT SHORT: ${log} at compressed byte ${cutAt}`);
  });

  it('a whole log leaves no cut in the footer, and prefixed and unreadable lines are counted by reason', async () => {
    const log = join(dir, 'compose.log');
    const lines = [`mongo-1  | ${slowQuery(1)}`, `2024-01-01T00:00:00.000000000Z stdout F ${slowQuery(2)}`, `?? ${slowQuery(3)}`];
    await writeFile(log, `${lines.join('\n')}\n`);
    const out = join(dir, 'compose.jsonl.gz');
    const r = await runCli(['ingest', '--log', log, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { records: number; issuesByReason: Record<string, number>; inputCut?: unknown };
    expect(summary.records).toBe(2);
    expect(summary.issuesByReason).toEqual({ 'unknown-line-layout': 1 });
    expect(summary.inputCut).toBeUndefined();
    expect(r.stderr).toContain(`${log}:3: MC_INGEST_UNPARSEABLE_LINE (unknown-line-layout)`);
    const info = await runCli(['capture', 'info', out, '--json']);
    expect((JSON.parse(info.stdout) as { inputCut: unknown[] }).inputCut).toEqual([]);
  });
});
