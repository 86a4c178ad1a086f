import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCaptureWriter } from '../../../harness/store/writer.ts';
import { runCli } from '../../helpers/cli.ts';
import { HEADER, readAll, sampleRecord, tempDir } from '../../unit/store/helpers.ts';

const tmp = tempDir();
const capture = tmp.path('cap.jsonl.gz');

beforeAll(async () => {
  const w = await openCaptureWriter(capture, HEADER);
  for (let i = 0; i < 200; i++) w.write(sampleRecord(i, `conn${i % 9}`, i % 10 === 0 ? { notReplayable: 'truncated' } : {}));
  await w.close();
});
afterAll(() => tmp.cleanup());

// Each run spawns the real bin (a second or more of tsx start-up): few runs, the rest is unit-tested.
describe('mongo-compat capture', { timeout: 60_000 }, () => {
  it('info --json prints the summary on stdout', async () => {
    const res = await runCli(['capture', 'info', capture, '--json']);
    expect(res.code).toBe(0);
    const s = JSON.parse(res.stdout) as { records: number; replayableShare: number; byApp: Record<string, number>; topShapes: unknown[] };
    expect(s.records).toBe(200);
    expect(s.replayableShare).toBeCloseTo(0.9);
    expect(s.byApp).toEqual({ monolith: 100, gcsp: 100 });
    expect(s.topShapes.length).toBeGreaterThan(0);
  });

  it('split then merge gives back every record, paths on stdout', async () => {
    const dir = tmp.path('shards');
    const split = await runCli(['capture', 'split', capture, '--by', 'connection', '--shards', '4', '--out', dir]);
    expect(split.code).toBe(0);
    const shards = split.stdout.trim().split('\n');
    expect(shards).toHaveLength(4);
    const merged = tmp.path('merged.jsonl.gz');
    const merge = await runCli(['capture', 'merge', ...shards, '--out', merged]);
    expect(merge.code).toBe(0);
    expect(merge.stdout.trim()).toBe(merged);
    expect((await readAll(merged)).records.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it.each([
    ['an empty file', Buffer.alloc(0), /MC_CAPTURE_UNREADABLE: .*empty file/],
    // (non-gzip and other tools' files: same path, unit-tested in writer-reader.test.ts)
    ['an unknown format version', gzipSync('{"format":"mongo-compat-capture","version":7}\n'), /MC_CAPTURE_VERSION: .*version 7 is not supported/],
  ])('info refuses %s with one line and a non-zero exit', async (name, bytes, message) => {
    const file = tmp.path(`${name.replace(/\W+/g, '-')}.jsonl.gz`);
    writeFileSync(file, bytes);
    const res = await runCli(['capture', 'info', file]);
    expect(res.code).not.toBe(0);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(message);
    expect(res.stderr).toContain(file);
  });

  it('split refuses an unsupported --by with one line', async () => {
    const res = await runCli(['capture', 'split', capture, '--by', 'app', '--shards', '2', '--out', tmp.path('x')]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/MC_USAGE: --by app/);
  });
});
