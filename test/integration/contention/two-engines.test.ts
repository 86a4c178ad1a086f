import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPgBinaries } from '../../../harness/targets/postgres.ts';
import { runCli } from '../../helpers/cli.ts';

const pgDirs = () => new Set(readdirSync(tmpdir()).filter((d) => d.startsWith('mongo-compat-pg-')));

/** A PostgreSQL directory whose owner is gone was left behind (other test files' live servers are not). */
function orphaned(dir: string): boolean {
  try {
    process.kill(Number(readFileSync(join(tmpdir(), dir, 'owner.pid'), 'utf8')), 0);
    return false;
  } catch {
    return existsSync(join(tmpdir(), dir));
  }
}

describe.skipIf(findPgBinaries().dir === undefined)('bench contention on two engines: FerretDB on SQLite and on PostgreSQL', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-bench-engines-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('sweeps both engines interleaved, reports each with its harness cost, and leaves no PostgreSQL behind', async () => {
    const before = pgDirs();
    const out = join(dir, 'engines');
    const res = await runCli([
      'bench', 'contention', '--target', 'sqlite=ferretdb', '--target', 'pg=ferretdb-pg',
      '--workers', '1,4', '--duration', '600ms', '--warmup', '100ms', '--workload', 'queue', '--jobs', '200', '--out', out,
    ], { timeoutMs: 110_000 });
    // An invariant violation is a finding (exit 1 with evidence written), not a failure of the bench.
    expect([0, 1]).toContain(res.code);
    expect(res.stderr).toMatch(/target pg: FerretDB v1\.24\.\d+ \(reports [\d.]+\) on PostgreSQL \d+/);
    expect(res.stderr).toMatch(/harness \d[\d,]* µs CPU\/op \(\d+% of a core, wire\)/);
    const files = JSON.parse(res.stdout.trim().split('\n').pop()!) as { json: string; markdown: string };
    const result = JSON.parse(await readFile(files.json, 'utf8'));
    expect(result.settings.transport).toBe('wire');
    expect(result.steps.map((s: { target: string; workers: number }) => `${s.target}:${s.workers}`)).toEqual(['sqlite:1', 'pg:1', 'sqlite:4', 'pg:4']);
    for (const s of result.steps) {
      expect(s.ops).toBeGreaterThan(0);
      expect(s.harness.transport).toBe('wire');
      expect(s.invariants.checked).toContain('every job claimed exactly once');
    }
    const md = await readFile(files.markdown, 'utf8');
    expect(md).toContain('| target | workers | ops/s | p50 | p95 | p99 | p99.9 | max | errors | invariants | harness |');
    expect(md).toMatch(/\| pg \| 4 \|/);
    expect([...pgDirs()].filter((d) => !before.has(d) && orphaned(d))).toEqual([]);
  }, 120_000);
});
