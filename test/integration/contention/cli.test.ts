import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import { runContentionCli } from '../../../harness/contention/cli-run.ts';
import { contentionSettings } from '../../../harness/contention/settings.ts';
import { BenchInvariantError, oneLine } from '../../../harness/errors.ts';
import { runCli } from '../../helpers/cli.ts';
import { testUri } from '../../helpers/fresh-db.ts';

describe('mongo-compat bench contention', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-bench-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('compares two targets side by side in one report (JSON, Markdown, HTML)', async () => {
    const out = join(dir, 'two');
    const res = await runCli(['bench', 'contention', '--target', `a=${testUri()}`, '--target', `b=${testUri()}`, '--workers', '1', '--duration', '500ms', '--warmup', '100ms', '--workload', 'hot-counter', '--out', out]);
    expect(res.stderr).toContain('[1/2] a: 1 workers');
    expect(res.stderr).toContain('[2/2] b: 1 workers');
    expect(res.code).toBe(0);
    const files = JSON.parse(res.stdout) as { json: string; markdown: string; html: string };
    const result = JSON.parse(await readFile(files.json, 'utf8'));
    expect(result.targets.map((t: { name: string }) => t.name)).toEqual(['a', 'b']);
    expect(result.steps.map((s: { target: string; order: number }) => `${s.target}${s.order}`)).toEqual(['a0', 'b1']);
    expect(result.displayUri).toBeUndefined();
    const md = await readFile(files.markdown, 'utf8');
    expect(md).toMatch(/\| a \| 1 \|/);
    expect(md).toMatch(/\| b \| 1 \|/);
    const html = await readFile(files.html, 'utf8');
    expect(html.match(/<svg /g)).toHaveLength(2);
  }, 45_000);

  it('fails loudly, after writing its evidence, when a broken worker breaks exactly-once', async () => {
    // The broken worker is a library setting, never a CLI flag: the sweep the CLI runs, with claims made non-atomic.
    const out = join(dir, 'broken');
    const settings = { ...contentionSettings(ConfigSchema.parse({}).bench.contention), workers: [4], durationMs: 500, warmupMs: 100, jobs: 40, broken: true };
    const outcome = await runContentionCli({ targets: [`a=${testUri()}`], out, settings, log: () => undefined });
    expect(outcome.failure).toBeInstanceOf(BenchInvariantError);
    expect(oneLine(outcome.failure)).toMatch(/^MC_BENCH_INVARIANT: \d+ invariant violation/);
    expect(outcome.failure?.message).toContain('claimed');
    const result = JSON.parse(await readFile(outcome.files.json, 'utf8'));
    expect(result.violations).toBeGreaterThan(0);
    expect(result.settings.broken).toBe(true);
  }, 45_000);

  it('has no flag that builds the broken worker', async () => {
    const res = await runCli(['bench', 'contention', '--target', `a=${testUri()}`, '--broken-worker', '--out', join(dir, 'nope')]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/unknown option '--broken-worker'/);
  });

  it('names a bad flag value in one line, before starting anything', async () => {
    const res = await runCli(['bench', 'contention', '--target', `a=${testUri()}`, '--workers', '1,0', '--out', join(dir, 'bad')]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual(['mongo-compat: MC_USAGE: --workers 1,0: 0: must be at least 1']);
  });
});
