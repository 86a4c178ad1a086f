import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { access, constants, copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { FerretDbBuildError, TargetUnavailableError } from '../errors.ts';
import { packagePath } from '../package-root.ts';
import { cacheDir } from './cache-dir.ts';

/**
 * Builds FerretDB's own `cmd/ferretdb` from a vendored copy of the tiny Go module in
 * ./ferretdb-go, once per version, into the cache (never into git).
 *
 * The trap: FerretDB's build/version package embeds a generated version.txt that the
 * published module lacks, and panics at start without it. `go install …@v1.24.x` and a
 * plain `go build` from the module cache both hit it, and `go build -overlay` may not
 * replace files in the module cache. Vendoring puts a writable copy of the package in
 * the work tree, where we write that one file before building.
 */
const SOURCE_DIR = packagePath('harness', 'targets', 'ferretdb-go');
const SOURCE_FILES = ['go.mod', 'go.sum', 'tools.go'] as const;
const MODULE = 'github.com/FerretDB/FerretDB';

/** The FerretDB release pinned in ferretdb-go/go.mod. */
export const FERRETDB_DEFAULT_VERSION = readPinnedVersion();

function readPinnedVersion(): string {
  const gomod = readFileSync(join(SOURCE_DIR, 'go.mod'), 'utf8');
  const match = new RegExp(`${MODULE.replace(/\./g, '\\.')} v(\\S+)`).exec(gomod);
  if (!match) throw new FerretDbBuildError(`${join(SOURCE_DIR, 'go.mod')} does not require ${MODULE}`);
  return match[1]!;
}

export function normaliseFerretDbVersion(version: string | undefined): string {
  const v = (version ?? FERRETDB_DEFAULT_VERSION).replace(/^v/, '');
  if (!/^1\.24\.\d+$/.test(v)) {
    throw new TargetUnavailableError(
      `FerretDB ${v} is not supported: mongo-compat builds FerretDB 1.24.x (the SQLite-backed line), e.g. ferretdb:${FERRETDB_DEFAULT_VERSION}`,
    );
  }
  return v;
}

function sourceKey(version: string): string {
  const hash = createHash('sha256').update(version);
  for (const file of SOURCE_FILES) hash.update(readFileSync(join(SOURCE_DIR, file)));
  return hash.digest('hex').slice(0, 10);
}

/** Where the binary for `version` is (or will be) cached. */
export function ferretDbBinaryPath(version?: string): string {
  const v = normaliseFerretDbVersion(version);
  return join(cacheDir(), 'ferretdb', `v${v}-${sourceKey(v)}`, 'ferretdb');
}

/** The Go command, or undefined when no Go toolchain is installed. */
export async function findGo(): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/go/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, 'go');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface BuildOptions {
  readonly version?: string;
  readonly log?: (line: string) => void;
}

/** Returns the path of a built FerretDB binary, building it first when absent. */
export async function ensureFerretDb(options: BuildOptions = {}): Promise<string> {
  const version = normaliseFerretDbVersion(options.version);
  const target = ferretDbBinaryPath(version);
  if (existsSync(target)) return target;
  const go = await findGo();
  if (!go) {
    throw new TargetUnavailableError(
      'FerretDB is not built and no Go toolchain is on PATH: install Go 1.24+ (or set MONGO_COMPAT_TEST_URI / use a mongodb:// target)',
    );
  }
  const root = join(cacheDir(), 'ferretdb');
  await mkdir(root, { recursive: true });
  return withLock(join(root, `v${version}.lock`), target, async () => {
    const work = await mkdtemp(join(root, `build-v${version}-`));
    const logPath = join(root, `build-v${version}.log`);
    const logStream = createWriteStream(logPath);
    const run = (args: string[]) => runGo(go, args, work, logStream);
    try {
      options.log?.(`building FerretDB v${version} with ${go} (once; log: ${logPath})`);
      for (const file of SOURCE_FILES) await copyFile(join(SOURCE_DIR, file), join(work, file));
      if (version !== FERRETDB_DEFAULT_VERSION) {
        await run(['get', `${MODULE}@v${version}`]);
        await run(['mod', 'tidy']);
      }
      await run(['mod', 'vendor']);
      await writeFile(join(work, 'vendor', MODULE, 'build', 'version', 'version.txt'), `v${version}\n`);
      await writeFile(join(work, 'vendor', MODULE, 'build', 'version', 'package.txt'), 'mongo-compat\n');
      const tmpBin = join(work, 'ferretdb');
      await run(['build', '-mod=vendor', '-trimpath', '-o', tmpBin, `${MODULE}/cmd/ferretdb`]);
      await mkdir(join(target, '..'), { recursive: true });
      await rename(tmpBin, target);
      options.log?.(`built FerretDB v${version}: ${target}`);
      return target;
    } catch (err) {
      const tail = (await readFile(logPath, 'utf8').catch(() => '')).trim().split('\n').slice(-1)[0] ?? '';
      throw new FerretDbBuildError(`building FerretDB v${version} failed (${tail || (err as Error).message}); full log: ${logPath}`, {
        cause: err,
      });
    } finally {
      logStream.end();
      await rm(work, { recursive: true, force: true });
    }
  });
}

function runGo(go: string, args: string[], cwd: string, log: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    log.write(`$ go ${args.join(' ')}\n`);
    const child = spawn(go, args, {
      cwd,
      env: { ...process.env, GOFLAGS: '', GOWORK: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`go ${args[0]} exited with ${code}`))));
  });
}

/**
 * A lock directory so that concurrent first runs (the test setup and a CLI, say)
 * build once: the others wait for the binary. A lock whose owner is dead is taken over.
 */
async function withLock(lockDir: string, target: string, build: () => Promise<string>): Promise<string> {
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch {
      if (existsSync(target)) return target;
      const owner = Number(await readFile(join(lockDir, 'pid'), 'utf8').catch(() => '0'));
      if (owner > 0 && !isAlive(owner)) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    await writeFile(join(lockDir, 'pid'), String(process.pid));
    if (existsSync(target)) return target;
    return await build();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
