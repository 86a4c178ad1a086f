import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationRecord } from '../../../harness/model/record.ts';
import { readCapture } from '../../../harness/store/reader.ts';
import { runCli } from '../../helpers/cli.ts';
import { testUri } from '../../helpers/fresh-db.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-scenario-cli-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('mongo-compat scenario', () => {
  it('list --json describes every application scenario', async () => {
    const r = await runCli(['scenario', 'list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; app: string; db: string; client: { connect: string } }[];
    expect(rows.map((x) => x.name)).toEqual(['monolith', 'gcsp', 'hammer', 'capture', 'data-export', 'dbupgrader', 'sync24h', 'dre', 'dre-legacy']);
    expect(rows.find((x) => x.name === 'dre')!.client.connect).toBe('tls');
  });

  it('run without the proxy records the driver’s commands under the app’s name', async () => {
    const out = join(work, 'sync.jsonl.gz');
    const r = await runCli(['scenario', 'run', 'sync24h', '--target', testUri(), '--ops', '20', '--scale', '0.1', '--seed', '9', '--out', out]);
    expect(r.code, r.stderr.slice(-1500)).toBe(0);
    const result = JSON.parse(r.stdout) as { files: string[]; recorded: number; scenarios: { name: string; operations: number }[] };
    expect(result.scenarios).toEqual([expect.objectContaining({ name: 'sync24h', operations: 20 })]);
    const records: OperationRecord[] = [];
    for await (const rec of readCapture(result.files)) records.push(rec);
    expect(records.length).toBe(result.recorded);
    expect(records.every((x) => x.app === 'sync24h')).toBe(true);
    expect(records.some((x) => x.cmd === 'update' && x.db === 'sync' && Array.isArray(x.command.updates))).toBe(true);
  }, 60_000);
});
