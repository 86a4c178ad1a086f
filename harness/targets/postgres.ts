import { execFile, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { TargetUnavailableError, TargetUnreachableError } from '../errors.ts';
import { spawnOwned } from './children.ts';
import { freePort } from './free-port.ts';

/**
 * A throwaway PostgreSQL server: `initdb` into a temp directory, `postgres` on a free
 * 127.0.0.1 port, everything removed on stop. It backs the `ferretdb-pg` target.
 *
 * PostgreSQL refuses to run as root, so when we are root the server runs as `nobody`
 * (or $MONGO_COMPAT_PG_USER). The switch happens in an inner `setpriv` that also sets
 * the parent-death signal: the kernel clears that signal when the effective uid changes
 * (prctl(2)), so the outer `setpriv --pdeathsig` of spawnOwned alone would not reach
 * postgres, and a SIGKILLed harness would leave it behind.
 */

/** Names the directory holding `initdb` and `postgres` when they are not where Debian puts them. */
export const PG_BIN_ENV = 'MONGO_COMPAT_PG_BIN';
/** The unprivileged user postgres runs as when mongo-compat runs as root. */
export const PG_USER_ENV = 'MONGO_COMPAT_PG_USER';
/** The role FerretDB connects as (initdb's bootstrap superuser; FerretDB uses initdb's `postgres` database). */
export const PG_ROLE = 'ferretdb';

/** Room for FerretDB's pool (FERRETDB_PG_POOL) plus a few for the checks and psql. */
export const PG_MAX_CONNECTIONS = 300;

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => isExecutable(p));

export interface PgBinaries {
  /** The directory with `initdb` and `postgres`, or undefined when none was found. */
  readonly dir?: string;
  /** Every directory looked at, in order (for the "not found" line). */
  readonly looked: readonly string[];
}

/** Finds PostgreSQL's server binaries: $MONGO_COMPAT_PG_BIN, Debian's versioned dirs (newest first), /usr/local/pgsql/bin, PATH. */
export function findPgBinaries(env: NodeJS.ProcessEnv = process.env): PgBinaries {
  const looked: string[] = [];
  const candidates: string[] = [];
  if (env[PG_BIN_ENV]) candidates.push(env[PG_BIN_ENV]);
  else {
    candidates.push(...debianBinDirs(), '/usr/local/pgsql/bin', ...(env.PATH ?? '').split(delimiter).filter(Boolean));
  }
  for (const dir of candidates) {
    if (looked.includes(dir)) continue;
    looked.push(dir);
    if (isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'postgres'))) return { dir, looked };
  }
  return { looked };
}

function debianBinDirs(): string[] {
  try {
    return readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => `/usr/lib/postgresql/${v}/bin`);
  } catch {
    return ['/usr/lib/postgresql/15/bin'];
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** One line for doctor and for errors: where we looked and how to point elsewhere. */
export function pgNotFoundLine(looked: readonly string[]): string {
  return (
    `no PostgreSQL server binaries (initdb and postgres) in ${looked.join(', ') || '(nothing to look at)'}: ` +
    `install postgresql-15 (apt-get install postgresql-15) or set ${PG_BIN_ENV}=DIR`
  );
}

/** `postgres --version`, e.g. `15.18`; undefined when it cannot tell within `timeoutMs`. */
export function pgServerVersion(dir: string, timeoutMs = 5_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(join(dir, 'postgres'), ['--version'], { timeout: timeoutMs }, (err, stdout) => {
      resolve(err ? undefined : (/(\d+(?:\.\d+)+)/.exec(stdout)?.[1] ?? undefined));
    });
  });
}

interface RunAs {
  readonly uid: number;
  readonly gid: number;
  readonly name: string;
}

/** Who postgres runs as: ourselves when not root, else an unprivileged user. */
function runAs(env: NodeJS.ProcessEnv = process.env): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const name = env[PG_USER_ENV] || 'nobody';
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    // fall through to the error below
  }
  const line = passwd.split('\n').find((l) => l.startsWith(`${name}:`));
  const fields = line?.split(':');
  if (!fields || fields.length < 4) {
    throw new TargetUnavailableError(`PostgreSQL cannot run as root and user '${name}' is not in /etc/passwd: set ${PG_USER_ENV}=USER`);
  }
  if (!SETPRIV) {
    throw new TargetUnavailableError('PostgreSQL cannot run as root and setpriv (util-linux) is missing to run it as another user');
  }
  return { name, uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** Spawns a PostgreSQL binary, as the unprivileged user when needed, dying with us either way. */
function spawnPg(user: RunAs | undefined, command: string, args: readonly string[]): ChildProcess {
  const stdio: ['ignore', 'ignore', 'pipe'] = ['ignore', 'ignore', 'pipe'];
  if (!user) return spawnOwned(command, args, { stdio });
  const wrapped = [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--pdeathsig', 'KILL', '--', command, ...args];
  // HOME of `nobody` does not exist; postgres needs none, but keep it from looking.
  return spawnOwned(SETPRIV!, wrapped, { stdio, env: { ...process.env, HOME: tmpdir() }, cwd: tmpdir() });
}

function collectStderr(child: ChildProcess): { text: () => string; wait: (pattern: RegExp, ms: number) => Promise<boolean> } {
  let text = '';
  const waiters: (() => void)[] = [];
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (text.length < 16_384) text += chunk;
    for (const w of waiters) w();
  });
  return {
    text: () => text,
    wait: (pattern, ms) =>
      new Promise((resolve) => {
        const check = () => {
          if (pattern.test(text)) finish(true);
        };
        const finish = (ok: boolean) => {
          clearTimeout(timer);
          child.off('exit', onExit);
          const i = waiters.indexOf(check);
          if (i >= 0) waiters.splice(i, 1);
          resolve(ok);
        };
        const onExit = () => finish(pattern.test(text));
        const timer = setTimeout(() => finish(false), ms);
        waiters.push(check);
        child.once('exit', onExit);
        check();
      }),
  };
}

function lastLines(text: string, n = 2): string {
  return text.trim().split('\n').filter(Boolean).slice(-n).join(' | ');
}

export interface PostgresInstance {
  readonly pid: number;
  readonly port: number;
  /** The temp directory holding the cluster and its socket; removed on stop. */
  readonly dir: string;
  /** The server version, e.g. `15.18`. */
  readonly version: string;
  /** For FerretDB's `--postgresql-url`. */
  readonly url: string;
  /** Fast shutdown, SIGKILL after a grace period, then the directory goes. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  readonly readyTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

const DIR_PREFIX = 'mongo-compat-pg-';
const OWNER_FILE = 'owner.pid';

/**
 * Removes the directories of owners that died without stopping their server (SIGKILL):
 * their postgres died with them (parent-death signal), but nobody was left to delete
 * the files. Each directory names its owner's pid; a live owner's directory is kept.
 * Returns the directories removed.
 */
export async function sweepStalePgDirs(root = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  const entries = await readdir(root).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(DIR_PREFIX)) continue;
    const dir = join(root, entry);
    const owner = Number(await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => '0'));
    if (owner > 0 && !isAlive(owner)) {
      await rm(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Starts a fresh PostgreSQL cluster on a free 127.0.0.1 port. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresInstance> {
  const bins = findPgBinaries();
  if (!bins.dir) throw new TargetUnavailableError(pgNotFoundLine(bins.looked));
  const binDir = bins.dir;
  const user = runAs();
  await sweepStalePgDirs();
  const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  try {
    await writeFile(join(dir, OWNER_FILE), String(process.pid));
    const dataDir = join(dir, 'data');
    const sockDir = join(dir, 'sock');
    await mkdir(sockDir);
    if (user) {
      await chown(dir, user.uid, user.gid);
      await chown(sockDir, user.uid, user.gid);
    }
    const version = (await pgServerVersion(binDir)) ?? 'unknown';
    await runInitdb(user, binDir, dataDir);
    const timeoutMs = options.readyTimeoutMs ?? 30_000;
    let lastError = '';
    // A free port can be taken between asking and binding: try a few.
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const child = spawnPg(user, join(binDir, 'postgres'), [
        '-D', dataDir,
        '-p', String(port),
        '-k', sockDir,
        '-c', 'listen_addresses=127.0.0.1',
        // A throwaway server: durability is not what is measured, and fsync on a busy
        // CI disk would turn every commit into a disk benchmark.
        '-c', 'fsync=off',
        '-c', 'full_page_writes=off',
        // FerretDB's pool (pool_max_conns in the URL, see ferretdb-pg.ts) stays below this.
        '-c', `max_connections=${PG_MAX_CONNECTIONS}`,
        '-c', 'logging_collector=off',
        '-c', 'log_min_messages=log',
      ]);
      const stderr = collectStderr(child);
      const ready = await stderr.wait(/database system is ready to accept connections/, timeoutMs);
      if (ready && child.exitCode === null) {
        options.log?.(`PostgreSQL ${version} on 127.0.0.1:${port} (${dir})`);
        const stop = once(async () => {
          await stopPostgres(child);
          await rm(dir, { recursive: true, force: true });
        });
        return { pid: child.pid!, port, dir, version, url: `postgres://${PG_ROLE}@127.0.0.1:${port}/postgres`, stop };
      }
      await stopPostgres(child);
      lastError = lastLines(stderr.text()) || `no 'ready' line within ${timeoutMs} ms`;
      if (!/already in use|could not bind|could not create .*socket/i.test(lastError)) break;
    }
    throw new TargetUnreachableError(`PostgreSQL (${binDir}) did not start: ${lastError}`);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function runInitdb(user: RunAs | undefined, binDir: string, dataDir: string): Promise<void> {
  const child = spawnPg(user, join(binDir, 'initdb'), [
    '-D', dataDir,
    '-U', PG_ROLE,
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
    '--no-instructions',
  ]);
  const stderr = collectStderr(child);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (c) => resolve(c));
    child.once('error', () => resolve(-1));
  });
  if (code !== 0) {
    throw new TargetUnreachableError(`initdb (${binDir}) failed with ${code}: ${lastLines(stderr.text())}`);
  }
}

/** SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to leave). */
async function stopPostgres(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
