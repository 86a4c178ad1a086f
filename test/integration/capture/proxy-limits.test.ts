import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../../../harness/capture/proxy/index.ts';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { REPO_ROOT } from '../../helpers/cli.ts';
import { MemorySink } from '../../helpers/memory-sink.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const BIN = join(REPO_ROOT, 'bin/mongo-compat.js');
const MiB = 1024 * 1024;

/** Resident set of a process in bytes, from /proc. */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** The header of an OP_MSG declaring `length` bytes, and its flag bits. */
function opMsgHead(length: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeInt32LE(length, 0);
  b.writeInt32LE(1, 4);
  b.writeInt32LE(0, 8);
  b.writeInt32LE(2013, 12);
  return b;
}

function connect(address: string): Promise<net.Socket> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port }, () => resolve(s));
    s.once('error', reject);
  });
}

function closed(s: net.Socket): Promise<void> {
  return s.destroyed || s.closed ? Promise.resolve() : once(s, 'close').then(() => undefined);
}

async function startCliProxy(args: string[]): Promise<{ child: ChildProcess; address: string; err: () => string }> {
  const child = spawn(process.execPath, [BIN, 'proxy', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy did not start: ${stderr}`)), 30_000);
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
  return { child, address, err: () => stderr };
}

describe('the proxy bounds its memory and closes stalled connections', () => {
  let server: FerretDbInstance;
  let dir: string;
  beforeAll(async () => {
    server = await startFerretDb({ name: 'limits', replicaSet: false });
    dir = await mkdtemp(join(tmpdir(), 'mc-proxy-limits-'));
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // The CLI proxy idles at about 176 MB RSS here (tsx compiles the sources in the main thread and in the
  // recording worker). Measured as growth over that idle figure: 94–128 MB at the peak with a 32 MiB budget
  // (garbage not yet collected, socket buffers of 21 connections); unbounded, the same flood took it to 949 MB.
  it('grows by less than 160 MB RSS while 20 connections each send 40 MiB of an unfinished message, and a normal client is served', async () => {
    const proxy = await startCliProxy(['--listen', '127.0.0.1:0', '--upstream', server.uri, '--out', join(dir, 'flood.jsonl.gz'), '--status-interval', '0.5', '--message-timeout', '300', '--max-buffer-mb', '32']);
    const pid = proxy.child.pid!;
    const idle = rss(pid);
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 25);
    const floods: net.Socket[] = [];
    try {
      const block = Buffer.alloc(MiB, 0x61);
      const declared = 40 * MiB + 1024;
      const send = async (s: net.Socket): Promise<void> => {
        if (!s.write(opMsgHead(declared))) await once(s, 'drain');
        for (let i = 0; i < 40; i++) if (!s.write(block)) await once(s, 'drain');
      };
      for (let i = 0; i < 20; i++) floods.push(await connect(proxy.address));
      const flooding = Promise.all(floods.map(send));
      // A normal application meanwhile: its operations go through and are recorded.
      const app = new MongoClient(`mongodb://${proxy.address}/?directConnection=true&appName=normal`, { serverSelectionTimeoutMS: 60_000 });
      try {
        const c = app.db('limits').collection<{ _id: number; v: string }>('c');
        await c.insertOne({ _id: 1, v: 'during the flood' });
        expect(await c.findOne({ _id: 1 })).toEqual({ _id: 1, v: 'during the flood' });
        await flooding;
        // Every flood byte is sent and their messages are still unfinished: the proxy holds what it holds now.
        await c.insertOne({ _id: 2, v: 'after the flood' });
        expect(await c.countDocuments()).toBe(2);
      } finally {
        await app.close();
      }
      const mark = proxy.err().length;
      const line = await waitFor(() => /proxy: .*\n/.exec(proxy.err().slice(mark))?.[0], { what: 'a status line after the flood', timeoutMs: 20_000 });
      // Every flood connection is still open (no limit reached) and most of their messages were let go.
      expect(line).toMatch(/proxy: 2[01] connections open/);
      const over = Number(/\((\d+) over the buffer budget\)/.exec(line)?.[1]);
      expect(over).toBeGreaterThanOrEqual(18);
      expect(line).toMatch(/of 32\.0 MiB/);
      peak = Math.max(peak, rss(pid));
    } finally {
      clearInterval(sampler);
      for (const s of floods) s.destroy();
      proxy.child.kill('SIGTERM');
      await once(proxy.child, 'exit');
    }
    expect(proxy.err()).toMatch(/buffer budget of 33554432 bytes full: a request is forwarded but not recorded/);
    expect(peak - idle).toBeLessThan(160 * 1000 * 1000);
  }, 180_000);

  it('closes a slowloris, a never-finished message and a silent connection after the limit; an idle pooled connection stays', async () => {
    const logs: string[] = [];
    const sink = new MemorySink();
    const proxy = await startProxy({ upstream: server.uri, sink, messageTimeoutMs: 800, log: (l) => void logs.push(l) });
    const app = new MongoClient(`mongodb://${proxy.address}/?directConnection=true`, { maxPoolSize: 1 });
    try {
      await app.db('admin').command({ ping: 1 });
      // A never-finished message: a header and part of its body, then nothing.
      const unfinished = await connect(proxy.address);
      unfinished.write(Buffer.concat([opMsgHead(1000), Buffer.alloc(100)]));
      // Slowloris: one byte at a time, never completing within the limit.
      const slow = await connect(proxy.address);
      const head = opMsgHead(64);
      let i = 0;
      const drip = setInterval(() => {
        if (!slow.destroyed && i < head.length) slow.write(head.subarray(i, ++i));
      }, 100);
      // Connected and silent.
      const silent = await connect(proxy.address);
      const started = performance.now();
      try {
        await Promise.all([closed(unfinished), closed(slow), closed(silent)]);
      } finally {
        clearInterval(drip);
      }
      const took = performance.now() - started;
      expect(took).toBeGreaterThanOrEqual(700);
      expect(took).toBeLessThan(5_000);
      expect(proxy.stats.connectionsStalled).toBe(3);
      expect(logs.filter((l) => /stayed unfinished for more than 800 ms/.test(l))).toHaveLength(3);
      // The driver's connections sat idle between messages for longer than the limit: still there, still working.
      await sleep(1_200);
      await app.db('admin').command({ ping: 1 });
      expect(proxy.stats.connectionsStalled).toBe(3);
      expect(proxy.statusLine()).toMatch(/3 closed stalled/);
    } finally {
      await app.close();
      await proxy.stop();
    }
  });

  it('counts a connection closed for an undecodable stream in the status line', async () => {
    const logs: string[] = [];
    const proxy = await startProxy({ upstream: server.uri, sink: new MemorySink(), log: (l) => void logs.push(l) });
    try {
      const bad = await connect(proxy.address);
      // A length prefix no wire message can have.
      bad.write(opMsgHead(3));
      await closed(bad);
      await waitFor(() => proxy.stats.connectionsOpen === 0, { what: 'the bad connection closed' });
      expect(proxy.stats.parseErrors).toBe(1);
      expect(proxy.statusLine()).toMatch(/, 1 undecodable,/);
      expect(logs.some((l) => /closed: undecodable request stream/.test(l))).toBe(true);
    } finally {
      await proxy.stop();
    }
  });

  it('refuses connections past --max-connections with an error the driver shows', async () => {
    const logs: string[] = [];
    const proxy = await startProxy({ upstream: server.uri, sink: new MemorySink(), maxConnections: 2, log: (l) => void logs.push(l) });
    const held = [await connect(proxy.address), await connect(proxy.address)];
    try {
      await waitFor(() => proxy.stats.connectionsOpen === 2, { what: 'two connections open' });
      const app = new MongoClient(`mongodb://${proxy.address}/?directConnection=true`, { serverSelectionTimeoutMS: 3_000 });
      await expect(app.db('admin').command({ ping: 1 })).rejects.toThrow(/too many connections: 2 open, --max-connections 2/);
      await app.close();
      expect(proxy.stats.connectionsRefused).toBeGreaterThanOrEqual(1);
      expect(logs.some((l) => /refused a connection from 127\.0\.0\.1:\d+: too many connections/.test(l))).toBe(true);
      expect(proxy.statusLine()).toMatch(/\d+ refused/);
      // Once one leaves, a new client is served.
      held.pop()!.destroy();
      await waitFor(() => proxy.stats.connectionsOpen === 1, { what: 'one connection closed' });
      const again = new MongoClient(`mongodb://${proxy.address}/?directConnection=true&maxPoolSize=1`, { serverSelectionTimeoutMS: 5_000, heartbeatFrequencyMS: 60_000 });
      // The driver's monitor and its pooled connection need two: the held one goes too.
      held.pop()!.destroy();
      await waitFor(() => proxy.stats.connectionsOpen === 0, { what: 'every held connection closed' });
      expect((await again.db('admin').command({ ping: 1 })).ok).toBe(1);
      await again.close();
    } finally {
      for (const s of held) s.destroy();
      await proxy.stop();
    }
  });
});
