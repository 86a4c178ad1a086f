import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-suite-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mongo-compat suite flags', () => {
  it('refuses a config without apps, a bad shard and a bad --fail-on in one line each', async () => {
    const cfg = join(dir, 'c.yaml');
    await writeFile(cfg, 'suite:\n  baseline: mongodb://127.0.0.1:9/\n');
    const none = await runCli(['suite', '--config', cfg], { cwd: dir });
    expect([none.code, none.stderr.trim()]).toEqual([1, 'mongo-compat: MC_SUITE: suite.apps: no apps configured; name at least one app with a capture or a scenario']);
    const shard = await runCli(['suite', '--config', cfg, '--shard', '3/2'], { cwd: dir });
    expect([shard.code, shard.stderr.trim()]).toEqual([1, 'mongo-compat: MC_USAGE: --shard 3/2: I must be between 1 and N']);
    const failOn = await runCli(['suite', '--config', cfg, '--fail-on', 'sometimes'], { cwd: dir });
    expect(failOn.code).toBe(1);
    expect(failOn.stderr.trim().split('\n')).toHaveLength(1);
    expect(failOn.stderr).toMatch(/--fail-on sometimes: expected new or any/);
  });

  it('names a bad suite config field with its file', async () => {
    const cfg = join(dir, 'bad.yaml');
    await writeFile(cfg, 'suite:\n  apps:\n    shop:\n      capture: [a.jsonl.gz]\n      scenario: gcsp\n');
    const r = await runCli(['suite', '--config', cfg], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml.*suite\.apps\.shop.*give an app exactly one of capture, scenario or run/);
  });
});
