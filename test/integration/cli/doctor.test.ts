import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.ts';
import { testUri } from '../../helpers/fresh-db.ts';

describe('mongo-compat doctor', () => {
  it('prints one line per target kind, each within 15 s, and exits 0', async () => {
    const result = await runCli(['doctor', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { kinds: { kind: string; usable: boolean; detail: string; ms: number }[] };
    expect(report.kinds.map((k) => k.kind)).toEqual(['uri', 'ferretdb', 'ferretdb-pg', 'memory-server', 'container']);
    for (const k of report.kinds) {
      expect(k.ms).toBeLessThan(15_000);
      expect(k.detail).not.toContain('\n');
      expect(k.detail.length).toBeGreaterThan(10);
    }
    expect(report.kinds.find((k) => k.kind === 'ferretdb')?.usable).toBe(true);

    const text = await runCli(['doctor']);
    expect(text.code).toBe(0);
    for (const kind of ['uri', 'ferretdb', 'memory-server', 'container']) {
      expect(text.stderr.split('\n').filter((l) => l.startsWith(`${kind} `))).toHaveLength(1);
    }
  });

  it('checks a named target that answers', async () => {
    const result = await runCli(['doctor', '--target', `suite=${testUri()}`]);
    expect(result.stderr).toMatch(/target suite=mongodb:\/\/.*: ok {2}answers: /);
    expect(result.code).toBe(0);
  });

  it.each([
    ['an unknown target kind', 'x=oracle:19', /unknown target kind 'oracle'/],
    ['a malformed URI', 'x=mongodb://', /malformed connection string/],
    ['an unreachable URI', 'x=mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=500', /did not answer ping/],
  ])('fails on %s with one line and a non-zero exit', async (_label, target, message) => {
    const result = await runCli(['doctor', '--target', target]);
    expect(result.code).not.toBe(0);
    const failed = result.stderr.split('\n').filter((l) => l.startsWith('target '));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(message);
  });

  it('fails on a bad config file naming its line', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'mc-config-'));
    const file = join(dir, 'mongo-compat.config.yaml');
    await writeFile(file, 'targets:\n  base: [1, 2]\n');
    const result = await runCli(['--config', file, 'doctor']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/mongo-compat: MC_CONFIG: .*mongo-compat\.config\.yaml:2:9 targets\.base: /);
  });
});
