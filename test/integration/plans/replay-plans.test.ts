import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import type { PlansResult } from '../../../harness/plans/result.ts';
import { runCli } from '../../helpers/cli.ts';
import { recordWorkload, type Step } from '../replay/record-workload.ts';

const { Int32 } = BSON;
const STEPS: Step[] = [
  { conn: 'c1', db: 'shop', command: { find: 'items', filter: { a: new Int32(5) } } },
  { conn: 'c1', db: 'shop', command: { count: 'items', query: { a: new Int32(2) } } },
];

/**
 * `replay --plans` explains at the end of the replay, while the targets are still up: the
 * targets here are servers the replay starts and stops itself (`NAME=ferretdb`), so the
 * plans exist only if they were taken before those servers stopped.
 */
describe('replay --plans', () => {
  let source: FerretDbInstance;
  let work: string;

  beforeAll(async () => {
    source = await startFerretDb({ name: 'source', replicaSet: false });
    work = await mkdtemp(join(tmpdir(), 'mc-replay-plans-'));
    await recordWorkload(source.uri, join(work, 'capture.jsonl.gz'), STEPS, { sourceHost: 'prod-db-1.example:27017' });
  });
  afterAll(async () => {
    await source?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('writes plans.json for every read shape on targets the replay started, and the report shows them', async () => {
    const out = join(work, 'run');
    const r = await runCli(['replay', '--capture', join(work, 'capture.jsonl.gz'), '--baseline', 'A=ferretdb', '--candidate', 'B=ferretdb', '--out', out, '--plans', '--report', 'json', '--no-progress']);
    expect(r.stderr).toMatch(/plans: 2 shape\(s\) explained/);
    expect(existsSync(join(out, 'plans.json'))).toBe(true);
    const plans = JSON.parse(await readFile(join(out, 'plans.json'), 'utf8')) as PlansResult;
    expect(plans.shapes.map((s) => s.cmd).sort()).toEqual(['count', 'find']);
    for (const s of plans.shapes) for (const t of ['A', 'B']) expect(s.targets[t]?.ok, `${s.cmd} on ${t}`).toBe(true);
    const report = JSON.parse(await readFile(join(out, 'report', 'report.json'), 'utf8')) as { plans?: unknown[] };
    expect(report.plans).toHaveLength(2);
  });
});
