import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import { CompatError } from '../../../harness/errors.ts';
import { buildReport } from '../../../harness/report/build.ts';
import { RENDERERS } from '../../../harness/report/registry.ts';
import type { ContentionResult } from '../../../harness/contention/result.ts';
import { runCli } from '../../helpers/cli.ts';
import { makeRun } from '../../fixtures/report/make-run.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-report-cli-'));
  await makeRun(join(dir, 'run'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const step = (target: string, workers: number, opsPerSec: number) => ({
  target,
  workers,
  clients: 1,
  order: 0,
  warmupMs: 0,
  windowMs: 1000,
  ops: opsPerSec,
  opsPerSec,
  otherOps: 0,
  errors: {},
  latency: { count: 1, minUs: 1, p50Us: 100, p90Us: 100, p95Us: 100, p99Us: 100, p999Us: 100, maxUs: 100, meanUs: 100 },
  histogram: '',
  server: [],
  log: { available: false },
  workload: {},
  invariants: { violations: 0, examples: [] },
});

describe('mongo-compat report', () => {
  it('documents the exit bitmask in --help', async () => {
    const r = await runCli(['report', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Exit status \(a bitmask/);
    for (const bit of ['1  errors running', '2  at least one warn', '4  at least one fail', '8  a time limit']) expect(r.stdout).toContain(bit);
  });

  it('fails with one line naming the file when RUN_DIR is not a run', async () => {
    const r = await runCli(['report', join(dir, 'nothing-here')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/MC_RUN_CORRUPT: .*nothing-here\/run\.json/);
  });

  it('names an unknown format in one line, with the formats it takes from the schema', async () => {
    const r = await runCli(['report', join(dir, 'run'), '--format', 'md,pdf']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['mongo-compat: MC_USAGE: --format md,pdf: pdf: expected json, md, html or junit']);
  });

  it('shows the default formats read from the config schema in --help', async () => {
    const r = await runCli(['report', '--help']);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('(choices: json, md, html, junit; default: md,html,json,junit)');
  });

  it('refuses a bench file that is not a contention result, naming it', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"bench":"other"}');
    await expect(buildReport(join(dir, 'run'), ConfigSchema.parse({}), { benchFile: bad })).rejects.toSatisfy((e) => e instanceof CompatError && /bad\.json: field bench/.test((e as Error).message));
  });

  it('draws the contention scaling curves when a bench result is given', async () => {
    const bench = {
      bench: 'contention',
      version: 1,
      startedAt: '2026-11-20T09:00:00Z',
      finishedAt: '2026-11-20T09:10:00Z',
      settings: { workload: 'queue', workers: [1, 2, 4], clients: 1, durationMs: 1000, warmupMs: 0, indexes: true, seed: 1, jobs: 100, keys: 4, broken: false },
      targets: [
        { name: 'v42', displayUri: 'mongodb://a', product: 'MongoDB 4.2.25', serverVersion: '4.2.25' },
        { name: 'v44', displayUri: 'mongodb://b', product: 'MongoDB 4.4.29', serverVersion: '4.4.29' },
      ],
      steps: [step('v42', 1, 100), step('v42', 2, 150), step('v42', 4, 120), step('v44', 1, 110), step('v44', 2, 210), step('v44', 4, 380)],
      summary: [
        { target: 'v42', knee: { workers: 2, opsPerSec: 150, stillRising: false }, bestOpsPerSec: 150, violations: 0 },
        { target: 'v44', knee: undefined, bestOpsPerSec: 380, violations: 0 },
      ],
      violations: 0,
    } as unknown as ContentionResult;
    const file = join(dir, 'contention.json');
    await writeFile(file, JSON.stringify(bench));
    const doc = await buildReport(join(dir, 'run'), ConfigSchema.parse({}), { benchFile: file });
    expect(doc.bench?.summary).toHaveLength(2);
    const html = await RENDERERS.html.render(doc);
    const section = html.slice(html.indexOf('<h2 id="bench">'));
    expect(section).toContain('<svg');
    expect(section).toContain('v44');
    expect(RENDERERS.md.render(doc)).toContain('| v44 | 380.0 | — | 0 |');
  });
});
