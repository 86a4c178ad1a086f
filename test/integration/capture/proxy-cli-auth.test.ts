import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readCapture, readCaptureHeader } from '../../../harness/store/reader.ts';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { REPO_ROOT, runCli } from '../../helpers/cli.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const USER = 'alice';
const PASSWORD = 'Sup3r-S3cret-Pa55word';
const BIN = join(REPO_ROOT, 'bin/mongo-compat.js');

/** Starts `mongo-compat proxy` as a user would and waits for its listening line on stdout. */
async function startCliProxy(args: string[]): Promise<{ child: ChildProcess; address: string; out: () => string; err: () => string }> {
  const child = spawn(process.execPath, [BIN, 'proxy', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy did not start: ${stderr}`)), 20_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line && stdout.includes('\n')) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { listening: string[] }).listening[0]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`proxy exited ${code}: ${stderr}`)));
  });
  return { child, address, out: () => stdout, err: () => stderr };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

describe('mongo-compat proxy against a server that requires authentication', () => {
  let server: FerretDbInstance;
  let dir: string;
  beforeAll(async () => {
    server = await startFerretDb({
      name: 'auth',
      replicaSet: false,
      extraArgs: [`--setup-username=${USER}`, `--setup-password=${PASSWORD}`, '--setup-database=admin', '--test-enable-new-auth'],
    });
    dir = await mkdtemp(join(tmpdir(), 'mc-proxy-auth-'));
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('no credential from the URI or the auth conversation reaches the capture, stdout or stderr; SIGTERM leaves a complete capture', async () => {
    const out = join(dir, 'auth.jsonl.gz');
    const upstream = `mongodb://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}/?authSource=admin`;
    const proxy = await startCliProxy(['--listen', '127.0.0.1:0', '--upstream', upstream, '--out', out, '--status-interval', '0.5']);
    try {
      // Node driver: SCRAM through the proxy, with speculativeAuthenticate in its hello.
      const client = new MongoClient(`mongodb://${USER}:${encodeURIComponent(PASSWORD)}@${proxy.address}/?directConnection=true&authSource=admin&appName=auth-node`);
      try {
        await client.db('app').collection<{ _id: number; who: string }>('c').insertOne({ _id: 1, who: 'x' });
        expect(await client.db('app').collection<{ _id: number; who: string }>('c').findOne({ _id: 1 })).toEqual({ _id: 1, who: 'x' });
        await client.db('admin').command({ createUser: 'bob', pwd: 'bobs-Pa55word', roles: [] }).catch(() => undefined);
      } finally {
        await client.close();
      }
      // A wrong password fails through the proxy as it would directly.
      const wrong = new MongoClient(`mongodb://${USER}:wrong-${PASSWORD}@${proxy.address}/?directConnection=true&authSource=admin`, { serverSelectionTimeoutMS: 3000 });
      await expect(wrong.db('app').command({ ping: 1 })).rejects.toThrow();
      await wrong.close();
      // A status line (every 0.5 s) printed after both clients left shows the proxy running
      // with every connection closed, before SIGTERM ends it.
      const mark = proxy.err().length;
      await waitFor(() => /proxy: 0 connections open \([1-9]\d* total, \d+ refused, \d+ closed stalled\), [1-9]\d* ops recorded/.test(proxy.err().slice(mark)), {
        what: 'a status line with every client connection closed',
      });
    } finally {
      proxy.child.kill('SIGTERM');
    }
    expect(await exited(proxy.child)).toBe(0);
    expect(proxy.err()).toMatch(/ops recorded/);
    expect(proxy.err()).toMatch(/capture complete/);

    const files = (await readdir(dir)).map((f) => join(dir, f));
    const text = Buffer.concat(await Promise.all(files.map(async (f) => gunzipSync(await readFile(f))))).toString('utf8');
    for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), 'bobs-Pa55word', 'saslStart', 'saslContinue', 'speculativeAuthenticate', Buffer.from('n,,n=alice,r').toString('base64')]) {
      expect(text).not.toContain(secret);
      expect(proxy.out()).not.toContain(secret);
      expect(proxy.err()).not.toContain(secret);
    }
    const header = await readCaptureHeader(out);
    expect(header.source).toMatchObject({ kind: 'proxy' });
    const records = [];
    for await (const r of readCapture(out)) records.push(r);
    const cmds = records.map((r) => r.cmd);
    expect(cmds).toContain('insert');
    expect(cmds).toContain('find');
    expect(records.filter((r) => r.cmd === 'insert').every((r) => r.app === 'auth-node')).toBe(true);
  });
});

describe('mongo-compat proxy on bad input', () => {
  test.each([
    [['--out', '/tmp/x.jsonl.gz'], /MC_USAGE: --upstream is required/],
    [['--upstream', 'mongodb://a:pw@h', '--out', '/tmp/x.jsonl.gz', '--listen', 'nope'], /MC_USAGE: --listen nope: expected HOST:PORT/],
    [['--upstream', 'mongodb+srv://u:topsecret@c.example.com', '--out', '/tmp/mc-x.jsonl.gz', '--listen', '127.0.0.1:0'], /MC_PROXY: --upstream mongodb\+srv:\/\/.*not supported/],
    [['--upstream', 'mongodb://h', '--out', '/tmp/x.jsonl.gz', '--mask-strings', '--redact-path', 'a'], /exclude each other/],
    [['--upstream', 'mongodb://h', '--out', '/tmp/x.jsonl.gz', '--max-queue-mb', '0'], /MC_USAGE: --max-queue-mb 0: must be positive$/m],
    [['--upstream', 'mongodb://h', '--out', '/tmp/x.jsonl.gz', '--reply', 'some'], /MC_USAGE: --reply some: expected full, digest or none$/m],
  ])('%j exits 1 with one line naming the flag', async (args, message) => {
    const r = await runCli(['proxy', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('topsecret');
  });
});
