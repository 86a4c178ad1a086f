#!/usr/bin/env node
// `npm run build`: bundles the command line and its worker threads with esbuild into
// node_modules/.cache/mongo-compat/ (buildDir(): a cache of the install, which no tool
// lints or type-checks and `npm ci` starts afresh), which bin/mongo-compat.js runs while it is current: no TypeScript
// transform at start-up and no loader thread, so the CLI starts faster and uses less
// memory than through tsx. npm runs it as `prepare` after `npm ci` (with --if-possible:
// a build that cannot run there leaves the CLI on its tsx path instead of failing the
// install). The bin rebuilds by itself when a source changed.
//
//   node scripts/build.mjs [--outdir DIR] [--if-possible]
//
// Layout of an output directory: build.json (the manifest: entries, and every input's
// size and mtime for the staleness check) and one directory per build, named by the
// hash of its files, holding the entries (flat, name.mjs), their chunks and source maps.
// A build is written under a temporary name and renamed, then the manifest is replaced
// by a rename: a CLI starting meanwhile sees the old build or the new one, never half of
// one, and a CLI already running keeps its own build's chunks (older builds are removed
// only after an hour).
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The package's root directory. */
export const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Where the build of the package at `root` goes unless told otherwise. */
export function buildDir(root = ROOT) {
  return join(root, 'node_modules', '.cache', 'mongo-compat');
}

/**
 * What the CLI bundle holds, output name → source relative to the root: the command
 * line and every module started as a worker thread (harness/package-root.ts
 * `workerEntry()` finds a worker's bundled file by its source path, through the map
 * this build defines).
 */
export const CLI_ENTRIES = Object.freeze({
  cli: 'harness/cli/main.ts',
  'recording-worker': 'harness/capture/proxy/worker/thread.ts',
  'mirror-worker': 'harness/shadow/mirror-thread.ts',
});

/** Files that shape the bundle without being bundled: a change to one makes a build stale. */
const SETTINGS_FILES = ['package.json', 'tsconfig.json', 'scripts/build.mjs'];

const MANIFEST = 'build.json';
const MANIFEST_VERSION = 1;
/** A build other than the current one is removed once it is this old (a CLI may still be running from it). */
const OLD_BUILD_MS = 60 * 60 * 1000;

/**
 * Builds `entries` into `outdir` and makes it the current build there.
 * Resolves with the build's directory, its manifest and `entry(name)`, the absolute path
 * of an entry's bundled file; rejects when esbuild cannot be
 * loaded or the sources do not compile (the message names the file and line).
 *
 * @param {{ root?: string, outdir?: string, entries?: Readonly<Record<string, string>> }} [options]
 */
export async function build(options = {}) {
  const root = options.root ?? ROOT;
  const outdir = options.outdir ?? buildDir(root);
  const entries = options.entries ?? CLI_ENTRIES;
  // Loaded here, not at the top: the bin imports this module on every start for the staleness check alone.
  const [esbuild, { createHash, randomBytes }, { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile }] = await Promise.all([
    import('esbuild'),
    import('node:crypto'),
    import('node:fs/promises'),
  ]);
  const fsp = { readdir, readFile, rm, stat };
  await mkdir(outdir, { recursive: true });
  const tmp = await mkdtemp(join(outdir, '.tmp-'));
  try {
    await chmod(tmp, 0o755);
    const startedMs = Date.now();
    const bundleEntries = Object.fromEntries(Object.entries(entries).map(([name, source]) => [source, `${name}.mjs`]));
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: entries,
      outdir: tmp,
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunk-[hash]',
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'silent',
      define: { MONGO_COMPAT_BUNDLE_ENTRIES: JSON.stringify(bundleEntries) },
    });
    const id = await hashTree(tmp, createHash, fsp);
    const bundled = Object.keys(result.metafile.inputs).filter((p) => !p.startsWith('node_modules/') && !p.startsWith('<'));
    const inputs = [...bundled, ...SETTINGS_FILES];
    const manifest = {
      version: MANIFEST_VERSION,
      id,
      entries: Object.fromEntries(Object.keys(entries).map((name) => [name, `${id}/${name}.mjs`])),
      inputs: await Promise.all([...new Set(inputs)].map((p) => fileStamp(root, p, startedMs, Date.now(), stat))),
      // The directories of the bundled modules: a file added beside them may change what an import resolves to.
      dirs: await Promise.all([...new Set(bundled.map((p) => dirname(p)))].map((p) => fileStamp(root, p, startedMs, Date.now(), stat))),
    };
    const dir = join(outdir, id);
    try {
      await rename(tmp, dir);
    } catch (err) {
      // The same build, renamed into place by a concurrent builder: keep theirs.
      if (!['EEXIST', 'ENOTEMPTY'].includes(err.code)) throw err;
    }
    const manifestTmp = join(outdir, `.${MANIFEST}.${process.pid}.${randomBytes(6).toString('hex')}`);
    await writeFile(manifestTmp, `${JSON.stringify(manifest)}\n`);
    await rename(manifestTmp, join(outdir, MANIFEST));
    await removeOldBuilds(outdir, id, fsp);
    return { dir, manifest, entry: (name) => join(outdir, manifest.entries[name]) };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** A short hash of every file under `dir` (names and contents). */
async function hashTree(dir, createHash, { readdir, readFile }) {
  const hash = createHash('sha256');
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => join(d.parentPath ?? d.path, d.name));
  for (const file of files.sort()) hash.update(relative(dir, file)).update('\0').update(await readFile(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/**
 * Size and mtime of `path` (relative to `root`). A file changed while the build ran (its
 * mtime between the build's start and now) may have been bundled before or after the
 * change: it is recorded with mtime -1, so the next check finds the build stale.
 */
async function fileStamp(root, path, startedMs, nowMs, stat) {
  const s = await stat(join(root, path));
  const during = s.mtimeMs >= startedMs && s.mtimeMs <= nowMs;
  return { path: path.split(sep).join('/'), size: s.isDirectory() ? 0 : s.size, mtimeMs: during ? -1 : s.mtimeMs };
}

async function removeOldBuilds(outdir, keep, { readdir, rm, stat }) {
  const now = Date.now();
  for (const name of await readdir(outdir)) {
    if (name === keep || name === MANIFEST || !(/^[0-9a-f]{16}$/.test(name) || name.startsWith('.tmp-'))) continue;
    try {
      if (now - (await stat(join(outdir, name))).mtimeMs > OLD_BUILD_MS) await rm(join(outdir, name), { recursive: true, force: true });
    } catch {
      // Removed by a concurrent builder.
    }
  }
}

/** The manifest in `outdir`, or undefined when there is none (or it is not one). */
export function readManifest(outdir) {
  try {
    const manifest = JSON.parse(readFileSync(join(outdir, MANIFEST), 'utf8'));
    return manifest?.version === MANIFEST_VERSION ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why the build described by `manifest` no longer matches the sources under `root`, or
 * undefined when it does: an input (or a directory holding one, so a file added beside
 * the inputs counts) whose size or mtime differs, or that is gone. `statFn` is
 * fs.statSync's shape, given so the check can be tried on made-up files.
 *
 * @param {{ inputs: { path: string, size: number, mtimeMs: number }[], dirs: { path: string, size: number, mtimeMs: number }[] }} manifest
 * @param {string} root
 * @param {(path: string) => { size: number, mtimeMs: number, isDirectory(): boolean } | undefined} [statFn]
 */
export function staleReason(manifest, root, statFn = statOrUndefined) {
  for (const stamp of [...manifest.inputs, ...manifest.dirs]) {
    const s = statFn(join(root, stamp.path));
    if (!s) return `${stamp.path} is gone`;
    if (s.mtimeMs !== stamp.mtimeMs || (!s.isDirectory() && s.size !== stamp.size)) return `${stamp.path} changed`;
  }
  return undefined;
}

/** fs.statSync, undefined for a path that is gone. */
function statOrUndefined(path) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The entry `name` of the current build in `outdir` (an absolute path), or the reason
 * there is none to run: no build, or a stale one.
 *
 * @returns {{ file: string } | { reason: string }}
 */
export function currentEntry(name, options = {}) {
  const root = options.root ?? ROOT;
  const outdir = options.outdir ?? buildDir(root);
  const manifest = readManifest(outdir);
  if (!manifest) return { reason: `no build in ${outdir}` };
  const file = manifest.entries?.[name];
  if (!file) return { reason: `the build in ${outdir} has no entry ${name}` };
  const stale = staleReason(manifest, root);
  return stale ? { reason: `the build is stale: ${stale}` } : { file: join(outdir, file) };
}

/** Runs `node scripts/build.mjs`. */
async function main(argv) {
  const at = argv.indexOf('--outdir');
  const outdir = at >= 0 ? argv[at + 1] : undefined;
  const ifPossible = argv.includes('--if-possible');
  const t0 = performance.now();
  try {
    const { dir } = await build(outdir ? { outdir } : {});
    process.stderr.write(`build: ${relative(process.cwd(), dir) || dir} in ${Math.round(performance.now() - t0)} ms\n`);
  } catch (err) {
    const message = String(err?.message ?? err);
    process.stderr.write(`build: ${ifPossible ? 'skipped' : 'failed'}: ${message}${ifPossible ? '\nbuild: the CLI runs the sources through tsx until `npm run build` succeeds' : ''}\n`);
    process.exitCode = ifPossible ? 0 : 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));

