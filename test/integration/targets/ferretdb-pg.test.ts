import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompatError } from '../../../harness/errors.ts';
import { ferretDbPgProvider, startFerretDbPg, type FerretDbPgInstance } from '../../../harness/targets/ferretdb-pg.ts';
import { parseTargetSpec } from '../../../harness/targets/spec.ts';
import { findPgBinaries, PG_BIN_ENV, sweepStalePgDirs } from '../../../harness/targets/postgres.ts';
import { runCli } from '../../helpers/cli.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const available = findPgBinaries().dir !== undefined;
const FERRETDB_PG_MODULE = fileURLToPath(new URL('../../../harness/targets/ferretdb-pg.ts', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every descendant of `pid` (postgres forks its checkpointer, walwriter, backends…). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of parents.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

async function allGone(pids: readonly number[], what: string): Promise<void> {
  await waitFor(() => pids.every((p) => !alive(p)), { what, timeoutMs: 15_000, intervalMs: 50 });
}

describe.skipIf(!available)('the ferretdb-pg target', () => {
  let server: FerretDbPgInstance;
  let client: MongoClient;
  let pgProcesses: number[] = [];

  beforeAll(async () => {
    server = await startFerretDbPg(parseTargetSpec('pg=ferretdb-pg+rs'));
    pgProcesses = [server.postgres.pid, ...descendants(server.postgres.pid)];
    client = new MongoClient(server.uri);
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it('is FerretDB over PostgreSQL on 127.0.0.1, with its own ports and directories', () => {
    expect(server.kind).toBe('ferretdb-pg');
    expect(server.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\//);
    expect(server.product).toMatch(/^FerretDB v1\.24\.\d+ \(reports [\d.]+\) on PostgreSQL \d+\.\d+$/);
    expect(server.postgres.port).not.toBe(server.port);
    expect(existsSync(server.postgres.dir)).toBe(true);
    expect(pgProcesses.length).toBeGreaterThan(1);
  });

  it('round-trips documents through the driver and stores them in PostgreSQL', async () => {
    const jobs = client.db('round_trip').collection<{ _id: number; state: string; priority: number }>('jobs');
    await jobs.insertMany([
      { _id: 1, state: 'pending', priority: 2 },
      { _id: 2, state: 'pending', priority: 5 },
    ]);
    const claimed = await jobs.findOneAndUpdate(
      { state: 'pending' },
      { $set: { state: 'running' } },
      { sort: { priority: -1 }, returnDocument: 'after' },
    );
    expect(claimed).toEqual({ _id: 2, state: 'running', priority: 5 });
    expect(await jobs.countDocuments({ state: 'pending' })).toBe(1);
    // A plan only PostgreSQL writes: the explain is PostgreSQL's own plan tree.
    const explain = await jobs.find({ state: 'pending' }).explain();
    expect(JSON.stringify(explain.queryPlanner)).toMatch(/"Node Type":"(Seq Scan|Index Scan|Bitmap Heap Scan)"/);
  });

  it('shows PostgreSQL through: a database named pg_… is refused (PostgreSQL reserves that schema prefix)', async () => {
    const err = await client.db('pg_jobs').collection<{ _id: number }>('jobs').insertOne({ _id: 1 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/unacceptable schema name "pg_jobs"/);
  });

  it('answers hello as a one-member replica set with +rs', async () => {
    const hello = await client.db('admin').command({ hello: 1 });
    expect(hello.setName).toBe('rs0');
  });

  it('leaves no PostgreSQL or FerretDB process and no directory after stop', async () => {
    await client.close();
    await server.stop();
    await allGone([server.pid, ...pgProcesses], 'FerretDB, postgres and its children to exit');
    expect(existsSync(server.postgres.dir)).toBe(false);
    expect(existsSync(server.dataDir)).toBe(false);
    await server.stop(); // a second stop is harmless
  });
});

describe.skipIf(!available)('the ferretdb-pg target in a process that is killed', () => {
  it('does not outlive a SIGKILLed owner: postgres, its children and FerretDB all exit', { timeout: 120_000 }, async () => {
    const script =
      `const { startFerretDbPg } = await import(${JSON.stringify(FERRETDB_PG_MODULE)});` +
      `const s = await startFerretDbPg({ name: 'child', replicaSet: false });` +
      `process.stdout.write(JSON.stringify({ pid: s.pid, pg: s.postgres.pid, dir: s.postgres.dir }) + '\\n');` +
      `setInterval(() => undefined, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const info = await new Promise<{ pid: number; pg: number; dir: string }>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
      });
      child.on('exit', (code) => reject(new Error(`child exited ${code} before starting: ${err}`)));
    });
    const pids = [info.pid, info.pg, ...descendants(info.pg)];
    expect(pids.every(alive)).toBe(true);
    child.kill('SIGKILL');
    await allGone(pids, 'FerretDB and postgres to die with their owner');
    // Its owner could not remove the directory; the next start (or a sweep) does.
    expect(existsSync(info.dir)).toBe(true);
    expect(await sweepStalePgDirs()).toContain(info.dir);
    expect(existsSync(info.dir)).toBe(false);
  });
});

describe('ferretdb-pg where PostgreSQL is not found', () => {
  it('names the directories it looked at and the variable to point elsewhere, in one line', async () => {
    const saved = process.env[PG_BIN_ENV];
    process.env[PG_BIN_ENV] = '/nonexistent/pg/bin';
    try {
      const probe = await ferretDbPgProvider.probe();
      expect(probe.usable).toBe(false);
      expect(probe.detail).toContain('/nonexistent/pg/bin');
      expect(probe.detail).toContain(PG_BIN_ENV);
      expect(probe.detail).not.toContain('\n');
      const err = await ferretDbPgProvider.start(parseTargetSpec('ferretdb-pg')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CompatError);
      expect((err as CompatError).code).toBe('MC_TARGET_UNAVAILABLE');
      expect((err as Error).message).toBe(probe.detail);
    } finally {
      if (saved === undefined) delete process.env[PG_BIN_ENV];
      else process.env[PG_BIN_ENV] = saved;
    }
  });

  it('doctor lists ferretdb-pg: usable with the PostgreSQL it found, or unavailable naming --pg-bin', async () => {
    type Kind = { kind: string; usable: boolean; detail: string };
    const here = JSON.parse((await runCli(['doctor', '--json'])).stdout) as { kinds: Kind[] };
    const pg = here.kinds.find((k) => k.kind === 'ferretdb-pg')!;
    const found = findPgBinaries().dir;
    expect(pg.usable).toBe(found !== undefined);
    if (found) expect(pg.detail).toContain(found);
    const elsewhere = JSON.parse((await runCli(['doctor', '--json', '--pg-bin', '/nonexistent/pg/bin'])).stdout) as { kinds: Kind[] };
    const missing = elsewhere.kinds.find((k) => k.kind === 'ferretdb-pg')!;
    expect(missing.usable).toBe(false);
    expect(missing.detail).toMatch(/no PostgreSQL server binaries \(initdb and postgres\) in \/nonexistent\/pg\/bin: .*MONGO_COMPAT_PG_BIN=DIR/);
  }, 60_000);

  it('parses ferretdb-pg specs with a version and +rs', () => {
    expect(parseTargetSpec('pg=ferretdb-pg:1.24.2+rs')).toEqual({ name: 'pg', kind: 'ferretdb-pg', version: '1.24.2', replicaSet: true });
    expect(parseTargetSpec('ferretdb-pg').name).toBe('ferretdb-pg');
  });
});
