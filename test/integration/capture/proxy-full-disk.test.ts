import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { mountSmallDisk } from '../../helpers/small-disk.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { REPO_ROOT, runCli } from '../../helpers/cli.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const BIN = join(REPO_ROOT, 'bin/mongo-compat.js');


const disk = mountSmallDisk('512k', 'mc-proxy-fulldisk-');

describe.skipIf(typeof disk === 'string')(`mongo-compat proxy recording onto a disk that fills${typeof disk === 'string' ? ` (skipped: ${disk})` : ''}`, () => {
  const d = disk as { dir: string; unmount: () => void };
  let server: FerretDbInstance;
  beforeAll(async () => {
    server = await startFerretDb({ name: 'fulldisk', replicaSet: false });
  });
  afterAll(async () => {
    await server?.stop();
    d.unmount();
  });

  it('reports the write error at once, keeps forwarding, counts the lost operations as dropped and exits non-zero; status, footer and capture info agree', async () => {
    const out = join(d.dir, 'cap.jsonl.gz');
    const child: ChildProcess = spawn(process.execPath, [BIN, 'proxy', '--listen', '127.0.0.1:0', '--upstream', server.uri, '--out', out, '--status-interval', '0.2'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const address = await waitFor(() => /"listening":\["([^"]+)"/.exec(stdout)?.[1], { what: 'the proxy listening', timeoutMs: 30_000 });
    const app = new MongoClient(`mongodb://${address}/?directConnection=true`);
    let inserted = 0;
    try {
      const c = app.db('full').collection<{ _id: number; blob: string }>('c');
      // Incompressible documents fill 512 KiB within a few dozen; traffic keeps flowing after.
      for (let i = 0; i < 300; i++) {
        await c.insertOne({ _id: i, blob: randomBytes(12_000).toString('base64') });
        inserted++;
        if (/writing the capture failed/.test(stderr) && i >= 60) break;
      }
      // Said while the proxy runs, not at exit.
      await waitFor(() => /proxy: writing the capture failed: .*ENOSPC/.test(stderr), { what: 'the write error on stderr while recording', timeoutMs: 20_000 });
      expect(await c.countDocuments()).toBe(inserted);
    } finally {
      await app.close();
    }
    // A status line after the last operation settled.
    const mark = stderr.length;
    await waitFor(() => /proxy: 0 connections open/.test(stderr.slice(mark)), { what: 'a status line with every connection closed', timeoutMs: 20_000 });
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/MC_CAPTURE_WRITE: the capture is incomplete: .*ENOSPC/);
    expect(stderr).not.toMatch(/capture complete/);
    const last = [...stderr.matchAll(/proxy: \d+ connections open .*?, (\d+) ops recorded, (\d+) dropped/g)].at(-1)!;
    const recorded = Number(last[1]);
    const dropped = Number(last[2]);
    expect(dropped).toBeGreaterThan(0);
    // Every insert (plus the handshake and count commands) is either recorded or dropped.
    expect(recorded + dropped).toBeGreaterThanOrEqual(inserted);
    const info = await runCli(['capture', 'info', out, '--json']);
    const summary = JSON.parse(info.stdout) as { records: number; dropped: number; files: { closed: boolean }[]; issues: Record<string, number> };
    expect(summary.records).toBe(recorded);
    expect(summary.issues.MC_CAPTURE_GZIP ?? 0).toBe(0);
    if (summary.files[0]!.closed) expect(summary.dropped).toBe(dropped);
  }, 120_000);
});
