import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { startFerretDb } from '../../../harness/targets/ferretdb.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const CHILD = fileURLToPath(new URL('../../helpers/ferretdb-child.ts', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once the process has exited; fails if it is still there after 5 s. */
async function gone(pid: number): Promise<void> {
  await waitFor(() => !alive(pid), { what: `FerretDB (pid ${pid}) to exit`, timeoutMs: 5_000 });
}

/** Runs the child script; resolves with the FerretDB pid it printed and the child itself. */
function startChild(mode: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  const info = new Promise<{ pid: number; port: number; dataDir: string }>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(JSON.parse(line));
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('exit', (code) => {
      if (!out.includes('\n')) reject(new Error(`child exited ${code} before starting FerretDB: ${err}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, info, exited };
}

describe('the ferretdb target', () => {
  it('starts on 127.0.0.1 on a free port with its own data directory, and stop leaves nothing', async () => {
    const a = await startFerretDb({ name: 'a', replicaSet: false });
    const b = await startFerretDb({ name: 'b', replicaSet: true });
    try {
      expect(a.port).not.toBe(b.port);
      expect(a.dataDir).not.toBe(b.dataDir);
      expect(a.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\//);
      expect(a.product).toMatch(/^FerretDB v1\.24\.\d+ \(reports \d+\.\d+/);
      const client = new MongoClient(b.uri);
      const hello = await client.db('admin').command({ hello: 1 });
      await client.close();
      expect(hello.setName).toBe('rs0');
      expect(hello.hosts).toEqual([`127.0.0.1:${b.port}`]);
    } finally {
      await a.stop();
      await b.stop();
    }
    await gone(a.pid);
    await gone(b.pid);
    expect(existsSync(a.dataDir)).toBe(false);
    await a.stop(); // a second stop is harmless
  });

  it.each(['exit', 'throw', 'kill'])('does not outlive a process that ends by %s without stopping it', async (mode) => {
    const run = startChild(mode === 'kill' ? 'hang' : mode);
    const { pid } = await run.info;
    expect(alive(pid)).toBe(true);
    if (mode === 'kill') run.child.kill('SIGKILL');
    await run.exited;
    await gone(pid);
  });
});
