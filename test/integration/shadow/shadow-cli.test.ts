import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { REPO_ROOT, runCli } from '../../helpers/cli.ts';
import { testUri, uniqueDbName } from '../../helpers/fresh-db.ts';

const BIN = fileURLToPath(new URL('../../../bin/mongo-compat.js', import.meta.url));

describe('mongo-compat shadow on bad input', () => {
  test.each([
    [['--candidate', 'c=mongodb://127.0.0.1:1', '--out', '/tmp/mc-shadow-x'], /MC_USAGE: --upstream is required/],
    [['--upstream', 'mongodb://127.0.0.1:1', '--out', '/tmp/mc-shadow-x'], /MC_USAGE: --candidate: at least one candidate/],
    [['--upstream', 'mongodb://u:topsecret@127.0.0.1:1', '--candidate', 'c=mongodb://127.0.0.1:1', '--out', '/tmp/mc-shadow-x', '--sample', '2'], /MC_USAGE: --sample 2: /],
    [['--upstream', 'mongodb://127.0.0.1:1', '--candidate', 'c=mongodb://127.0.0.1:1', '--out', '/tmp/mc-shadow-x', '--sample-by', 'packet'], /MC_USAGE: --sample-by packet: expected connection or operation/],
    [['--upstream', 'mongodb://127.0.0.1:1', '--candidate', 'c=mongodb://127.0.0.1:1', '--out', '/tmp/mc-shadow-x', '--duration', 'soon'], /MC_USAGE: --duration soon: /],
    [['--upstream', 'mongodb://127.0.0.1:1', '--candidate', 'c=mongodb://127.0.0.1:1', '--out', '/tmp/mc-shadow-x', '--status', 'nope'], /MC_USAGE: --status nope: expected HOST:PORT/],
  ])('%j exits 1 with one line naming the flag', async (args, message) => {
    const r = await runCli(['shadow', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('topsecret');
  });

  test('--allow-writes with production as a candidate is refused before anything listens', async () => {
    const r = await runCli(['shadow', '--upstream', testUri(), '--candidate', `prod=${testUri()}`, '--out', '/tmp/mc-shadow-refused', '--allow-writes', '--listen', '127.0.0.1:0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/MC_REPLAY_WRITE_TO_SOURCE: refusing --allow-writes: target prod/);
    expect(r.stdout).toBe('');
  });
});

describe('mongo-compat shadow end to end', () => {
  let candidate: FerretDbInstance;
  let dir: string;
  beforeAll(async () => {
    candidate = await startFerretDb({ name: 'shadow-cli', replicaSet: false });
    dir = await mkdtemp(join(tmpdir(), 'mc-shadow-cli-'));
  }, 120_000);
  afterAll(async () => {
    await candidate?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('listens, mirrors, ends on SIGINT with the verdicts, the report and a record file', async () => {
    const db = uniqueDbName('shcli');
    const docs = Array.from({ length: 10 }, (_, i) => ({ _id: i, v: `x${i}` }));
    for (const uri of [testUri(), candidate.uri]) {
      const c = new MongoClient(uri);
      await c.db(db).collection<{ _id: number; v: string }>('items').insertMany(docs);
      await c.close();
    }
    const out = join(dir, 'run');
    const record = join(dir, 'shadow.jsonl.gz');
    const child = spawn(process.execPath, [BIN, 'shadow', '--upstream', testUri(), '--candidate', `cand=${candidate.uri}`, '--out', out, '--listen', '127.0.0.1:0', '--status', '127.0.0.1:0', '--record', record, '--report', 'md,json', '--min-idle-cpu', '0', '--max-mirror-cpu', '0'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const first = await new Promise<{ listening: string[]; status: string }>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        const nl = stdout.indexOf('\n');
        if (nl >= 0) resolve(JSON.parse(stdout.slice(0, nl)) as { listening: string[]; status: string });
      });
      child.on('close', (code) => reject(new Error(`shadow exited ${code} before listening: ${stderr}`)));
    });
    const app = new MongoClient(`mongodb://${first.listening[0]}/?directConnection=true&appName=cli-app`);
    try {
      for (let i = 0; i < 10; i++) expect(await app.db(db).collection<{ _id: number; v: string }>('items').findOne({ _id: i })).toEqual(docs[i]);
    } finally {
      await app.close();
    }
    const live = (await (await fetch(`${first.status}status.json`)).json()) as { operations: { seen: number } };
    expect(live.operations.seen).toBeGreaterThanOrEqual(10);
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    const code = await closed;
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { verdicts: { app: string; candidate: string; verdict: string }[]; shadow: { seen: number; mirrored: number }; exit: number };
    expect(summary.verdicts).toEqual([{ app: 'cli-app', candidate: 'cand', verdict: 'pass' }]);
    expect(summary.shadow.mirrored).toBe(summary.shadow.seen);
    expect(stderr).toMatch(/shadow: SIGINT/);
    expect(stderr).toMatch(/PASS/);
    expect(existsSync(join(out, 'report', 'report.md'))).toBe(true);
    const report = JSON.parse(await readFile(join(out, 'report', 'report.json'), 'utf8')) as { notes?: string[] };
    expect(JSON.stringify(report)).toContain('shadow of');
    const info = await runCli(['capture', 'info', record]);
    expect(info.code, info.stderr).toBe(0);
    expect(`${info.stdout}${info.stderr}`).toMatch(/find/);
  }, 120_000);
});
