import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.ts';
import { testUri, uniqueDbName } from '../../helpers/fresh-db.ts';
import { readRun, readRunOutcomes } from '../../../harness/model/run/reader.ts';
import { recordWorkload, type Step } from './record-workload.ts';

/** Each step spawns the CLI, which pays tsx start-up: seconds apiece on a busy CI machine. */
const CLI_STEPS_TIMEOUT_MS = 90_000;

describe('mongo-compat replay and merge (CLI)', () => {
  let work: string;
  let capture: string;
  let db: string;
  const steps = (): Step[] =>
    Array.from({ length: 24 }, (_, i) => ({ conn: `c${i % 8}`, db, command: { find: 'items', filter: { k: new BSON.Int32(i % 4) } } }));

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mc-replay-cli-'));
    db = uniqueDbName('replaycli');
    const c = new MongoClient(testUri());
    await c.db(db).collection<BSON.Document>('items').insertMany(Array.from({ length: 10 }, (_, i): BSON.Document => ({ _id: i, k: new BSON.Int32(i % 4) })));
    await c.close();
    capture = join(work, 'cap.mcap.gz');
    await recordWorkload(testUri(), capture, steps());
  });

  afterAll(async () => {
    const c = new MongoClient(testUri());
    await c.db(db).dropDatabase().catch(() => undefined);
    await c.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('replays shards that merge into the same run as one whole replay', async () => {
    const common = ['replay', '--capture', capture, '--baseline', `base=${testUri()}`, '--candidate', `cand=${testUri()}`];
    const s1 = await runCli([...common, '--shard', '1/2', '--out', join(work, 's1')]);
    const s2 = await runCli([...common, '--shard', '2/2', '--out', join(work, 's2')]);
    expect([s1.code, s2.code]).toEqual([0, 0]);
    expect(s1.stderr).toContain('replay complete');
    const n1 = JSON.parse(s1.stdout.trim()).counts.outcomes as number;
    const n2 = JSON.parse(s2.stdout.trim()).counts.outcomes as number;
    expect(n1 + n2).toBe(24);
    expect(n1).toBeGreaterThan(0);
    // Replay compares when it ends: the same server on both sides passes, exit status 0.
    expect(JSON.parse(s1.stdout.trim())).toMatchObject({ exit: 0, verdicts: [{ candidate: 'cand', verdict: 'pass' }] });
    expect(s1.stderr).toMatch(/^PASS .* on cand/m);
    expect(n2).toBeGreaterThan(0);
    const merged = await runCli(['run', 'merge', join(work, 's1'), join(work, 's2'), '--out', join(work, 'merged')]);
    expect(merged.code).toBe(0);
    const seqs: number[] = [];
    for await (const o of readRunOutcomes(join(work, 'merged'))) seqs.push(o.seq);
    expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    // Histograms merge losslessly: every find of both shards, once per target.
    const merged2 = await readRun(join(work, 'merged'));
    expect(merged2.histograms.reduce((n, x) => n + x.hist.totalCount, 0)).toBe(48);
    expect(merged2.run.counts.outcomes).toBe(24);
    // The same shard twice is refused; the name before the `run` group still works and says where it went, in one line.
    const [twice, old] = await Promise.all([
      runCli(['run', 'merge', join(work, 's1'), join(work, 's1'), '--out', join(work, 'bad')]),
      runCli(['merge', join(work, 's1'), join(work, 's2'), '--out', join(work, 'merged-old')]),
    ]);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain('MC_RUN_MERGE');
    expect(old.code).toBe(0);
    expect(old.stderr.split('\n')[0]).toBe('mongo-compat: `merge` is now `run merge`');
    expect(JSON.parse(old.stdout).counts.outcomes).toBe(24);
  }, CLI_STEPS_TIMEOUT_MS);

  it('rejects bad input with one line and a non-zero exit', async () => {
    const bad = await runCli(['replay', '--capture', capture, '--baseline', `b=${testUri()}`, '--timing', 'sometimes', '--out', join(work, 'x')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('MC_USAGE: --timing sometimes: expected fast or recorded');
    const missing = await runCli(['replay', '--capture', join(work, 'nope.gz'), '--baseline', `b=${testUri()}`, '--out', join(work, 'y')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('nope.gz');
    const transport = await runCli(['replay', '--capture', capture, '--baseline', `b=${testUri()}`, '--transport', 'carrier-pigeon', '--out', join(work, 'z')]);
    expect(transport.code).not.toBe(0);
    expect(transport.stderr.trim().split('\n')).toHaveLength(1);
    expect(transport.stderr).toContain('--transport carrier-pigeon: expected auto, wire or driver');
    // Flags that are not config keys are checked before anything starts, too.
    const cases = [
      ['--shard', '3/2', '--shard 3/2: I must be between 1 and N'],
      ['--report', 'md,pdf', '--report md,pdf: pdf: expected json, md, html or junit'],
      ['--map-db', 'shop', '--map-db shop: expected FROM=TO'],
    ] as const;
    const results = await Promise.all(cases.map(([flag, value]) => runCli(['replay', '--capture', capture, '--baseline', `b=${testUri()}`, flag, value, '--out', join(work, 'v')])));
    expect(results.map((r) => [r.code, r.stderr.trim()])).toEqual(cases.map(([, , message]) => [1, `mongo-compat: MC_USAGE: ${message}`]));
    // Forcing the wire transport onto a target it cannot serve names the target and the reason.
    const compressed = `${testUri()}${testUri().includes('?') ? '&' : '?'}compressors=zlib`;
    const forced = await runCli(['replay', '--capture', capture, '--baseline', `b=${compressed}`, '--transport', 'wire', '--out', join(work, 'w')]);
    expect(forced.code).not.toBe(0);
    expect(forced.stderr.trim().split('\n').at(-1)).toMatch(/--transport wire: target b asks for compression/);
  }, CLI_STEPS_TIMEOUT_MS);
});
