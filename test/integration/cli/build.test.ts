import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import fc from 'fast-check';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCapture } from '../../../harness/store/reader.ts';
import { build, buildDir, CLI_ENTRIES, currentEntry, readManifest, staleReason, type BuildStamp } from '../../../scripts/build.mjs';
import { REPO_ROOT, runCli } from '../../helpers/cli.ts';
import { testUri } from '../../helpers/fresh-db.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const BIN = join(REPO_ROOT, 'bin/mongo-compat.js');
const DEBUG = { MONGO_COMPAT_DEBUG: '1', MONGO_COMPAT_TSX: '' };
/** The bin's line when it runs a build: the build's cli.mjs, in the build directory of the package it was started from. */
const RUNS_BUILD = (root: string) => new RegExp(`running the build ${buildDir(root).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/[0-9a-f]{16}/cli\\.mjs`);

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-build-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('scripts/build.mjs', () => {
  it('bundles the CLI and every worker entry with linked source maps, lazy chunks and a manifest of its inputs', async () => {
    const outdir = join(work, 'out');
    const b = await build({ outdir });
    for (const [name, source] of Object.entries(CLI_ENTRIES)) {
      const file = b.entry(name);
      expect(file.startsWith(`${b.dir}/`)).toBe(true);
      expect(await readFile(file, 'utf8')).toContain(`//# sourceMappingURL=${name}.mjs.map`);
      const map = JSON.parse(await readFile(`${file}.map`, 'utf8')) as { sources: string[] };
      // Stack traces name the TypeScript files: the map's sources resolve to them.
      expect(map.sources.map((s) => resolve(dirname(file), s))).toContain(join(REPO_ROOT, source));
      expect(b.manifest.inputs.map((i) => i.path)).toContain(source);
    }
    // The CLI's per-command `await import()`s stay separate chunks, loaded when a command runs.
    expect(await readFile(b.entry('cli'), 'utf8')).toMatch(/import\("\.\/chunk-[A-Z0-9]+\.mjs"\)/);
    const inputs = b.manifest.inputs.map((i) => i.path);
    for (const p of ['harness/package-root.ts', 'harness/replay/run.ts', 'package.json', 'tsconfig.json', 'scripts/build.mjs']) expect(inputs).toContain(p);
    expect(inputs.some((p) => p.startsWith('node_modules/'))).toBe(false);
    expect(b.manifest.dirs.map((d) => d.path)).toContain('harness/cli');
    expect(readManifest(outdir)).toEqual(b.manifest);
    expect(currentEntry('cli', { outdir })).toEqual({ file: b.entry('cli') });
    expect(currentEntry('nope', { outdir })).toEqual({ reason: `the build in ${outdir} has no entry nope` });
  });

  it('builds started together all resolve to one complete build, and nothing half-written is left', async () => {
    const outdir = join(work, 'concurrent');
    const builds = await Promise.all([1, 2, 3].map(() => build({ outdir })));
    expect(new Set(builds.map((b) => b.manifest.id)).size).toBe(1);
    expect(readManifest(outdir)?.id).toBe(builds[0]!.manifest.id);
    expect((await readdir(outdir)).sort()).toEqual([builds[0]!.manifest.id, 'build.json'].sort());
    for (const name of Object.keys(CLI_ENTRIES)) expect(existsSync(builds[0]!.entry(name))).toBe(true);
  });

  it('finds a build stale once an input or a directory holding one changes, and current again after a rebuild', async () => {
    // A package of its own (so nothing of the real tree is touched): two modules and the build script.
    const root = join(work, 'tiny');
    await mkdir(join(root, 'src'), { recursive: true });
    await mkdir(join(root, 'scripts'));
    await copyFile(join(REPO_ROOT, 'scripts/build.mjs'), join(root, 'scripts/build.mjs'));
    await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'mongo-compat', version: '0.0.0', type: 'module' }));
    await writeFile(join(root, 'tsconfig.json'), '{}');
    await writeFile(join(root, 'src/main.ts'), "import { word } from './lib.ts';\nconst n: number = 2;\nconsole.log(word.repeat(n));\n");
    await writeFile(join(root, 'src/lib.ts'), "export const word: string = 'ab';\n");
    const outdir = join(root, 'out');
    const opts = { root, outdir, entries: { main: 'src/main.ts' } };
    const current = async () => currentEntry('main', { root, outdir });

    expect(await current()).toEqual({ reason: `no build in ${outdir}` });
    let b = await build(opts);
    expect(await current()).toEqual({ file: b.entry('main') });
    expect(spawnSync(process.execPath, [b.entry('main')], { encoding: 'utf8' }).stdout).toBe('abab\n');

    const earlier = new Date(Date.now() - 60_000);
    await utimes(join(root, 'src/lib.ts'), earlier, earlier);
    expect(await current()).toEqual({ reason: 'the build is stale: src/lib.ts changed' });
    b = await build(opts);
    expect(await current()).toEqual({ file: b.entry('main') });

    await writeFile(join(root, 'src/new.ts'), 'export {};\n');
    expect(await current()).toEqual({ reason: 'the build is stale: src changed' });
    b = await build(opts);
    expect(await current()).toEqual({ file: b.entry('main') });

    await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'mongo-compat', version: '0.0.1', type: 'module' }));
    expect(await current()).toEqual({ reason: 'the build is stale: package.json changed' });
    b = await build(opts);

    await rm(join(root, 'src/lib.ts'));
    expect(await current()).toEqual({ reason: 'the build is stale: src/lib.ts is gone' });
    // A build that cannot compile rejects with the file that failed; the last good build stays in place.
    await expect(build(opts)).rejects.toThrow(/src\/main\.ts.*lib\.ts/s);
    expect(readManifest(outdir)?.id).toBe(b.manifest.id);
  });

  it('staleReason names the first stamp whose size or mtime differs or that is gone, and nothing when all match', () => {
    const stamp = fc.record({ path: fc.stringMatching(/^[a-z]{1,8}(\/[a-z]{1,8}){0,2}\.ts$/), size: fc.nat(1e6), mtimeMs: fc.double({ min: 1, max: 2e12, noNaN: true }) });
    fc.assert(
      fc.property(fc.uniqueArray(stamp, { minLength: 1, maxLength: 20, selector: (s) => s.path }), fc.nat(), fc.constantFrom('size', 'mtime', 'gone', 'none'), (inputs, pick, change) => {
        const changed = inputs[pick % inputs.length]!;
        const byPath = new Map<string, BuildStamp>(inputs.map((s) => [`/r/${s.path}`, s]));
        const stat = (p: string) => {
          const s = byPath.get(p);
          if (!s || (s === changed && change === 'gone')) return undefined;
          const size = s === changed && change === 'size' ? s.size + 1 : s.size;
          const mtimeMs = s === changed && change === 'mtime' ? s.mtimeMs + 0.5 : s.mtimeMs;
          return { size, mtimeMs, isDirectory: () => false };
        };
        const reason = staleReason({ inputs, dirs: [] }, '/r', stat);
        if (change === 'none') expect(reason).toBeUndefined();
        else expect(reason).toBe(`${changed.path} ${change === 'gone' ? 'is gone' : 'changed'}`);
      }),
      { numRuns: 200 },
    );
  });
});

describe('bin/mongo-compat.js', () => {
  it('runs the current build, and the sources through tsx with MONGO_COMPAT_TSX=1, to the same effect', async () => {
    const built = await runCli(['--help'], { env: DEBUG });
    expect(built.code).toBe(0);
    expect(built.stderr).toMatch(RUNS_BUILD(REPO_ROOT));
    const tsx = await runCli(['--help'], { env: { ...DEBUG, MONGO_COMPAT_TSX: '1' } });
    expect(tsx.code).toBe(0);
    expect(tsx.stderr).toBe('mongo-compat: MONGO_COMPAT_TSX=1: running the sources through tsx\n');
    expect(tsx.stdout).toBe(built.stdout);
    expect(built.stdout).toMatch(/^Usage: mongo-compat/);
    // Nothing on stderr without MONGO_COMPAT_DEBUG: tests and scripts read it.
    expect((await runCli(['--help'], { env: { MONGO_COMPAT_DEBUG: '' } })).stderr).toBe('');
  });

  /**
   * The package laid out in a directory of its own: bin/ and scripts/ copied, the sources
   * linked, and node_modules linked package by package, without esbuild when `esbuild` is false.
   */
  async function installedCopy(name: string, esbuild: boolean): Promise<string> {
    const root = join(work, name);
    await mkdir(join(root, 'node_modules'), { recursive: true });
    for (const entry of await readdir(REPO_ROOT)) {
      if (['bin', 'scripts', 'node_modules', '.git', 'package.json'].includes(entry)) continue;
      await symlink(join(REPO_ROOT, entry), join(root, entry));
    }
    for (const dir of ['bin', 'scripts']) {
      await mkdir(join(root, dir));
      for (const f of await readdir(join(REPO_ROOT, dir))) await copyFile(join(REPO_ROOT, dir, f), join(root, dir, f));
    }
    await copyFile(join(REPO_ROOT, 'package.json'), join(root, 'package.json'));
    for (const entry of await readdir(join(REPO_ROOT, 'node_modules'))) {
      if ((entry === 'esbuild' && !esbuild) || entry === '.cache') continue;
      await symlink(join(REPO_ROOT, 'node_modules', entry), join(root, 'node_modules', entry));
    }
    return root;
  }

  function runBin(root: string, args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [join(root, 'bin/mongo-compat.js'), ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, MONGO_COMPAT_TSX: '', ...env }, timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('builds its own bundle on first start wherever the package is, then runs it', async () => {
    const root = await installedCopy('installed', true);
    const first = runBin(root, ['--help'], DEBUG);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(new RegExp(`no build in ${buildDir(root)}; building\n`));
    expect(first.stderr).toMatch(RUNS_BUILD(root));
    expect(first.stdout).toMatch(/^Usage: mongo-compat/);
    // The next start finds that build current (unless a source was saved meanwhile: the
    // sources are the working tree's, so allow a couple of tries).
    let second = runBin(root, ['--help'], DEBUG);
    for (let i = 0; i < 2 && !second.stderr.includes('checked current'); i++) second = runBin(root, ['--help'], DEBUG);
    expect(second.stderr).toMatch(/^mongo-compat: running the build .* \(checked current in \d+\.\d ms\)\n$/);
    expect(second.stderr).toMatch(RUNS_BUILD(root));
    expect(second.stdout).toBe(first.stdout);
  });

  it('falls back to the sources through tsx, silently, when esbuild is not installed', async () => {
    const root = await installedCopy('no-esbuild', false);
    const quiet = runBin(root, ['--help']);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toMatch(/^Usage: mongo-compat/);
    const told = runBin(root, ['--help'], DEBUG);
    expect(told.stderr).toMatch(/^mongo-compat: no build in .*; building\nmongo-compat: no build \(.*esbuild.*\): running the sources through tsx\n$/);
    expect(existsSync(join(buildDir(root), 'build.json'))).toBe(false);
    // `npm ci` there does not fail on the build (prepare runs it with --if-possible).
    const prepare = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--if-possible'], { cwd: root, encoding: 'utf8' });
    expect(prepare.status).toBe(0);
    expect(prepare.stderr).toMatch(/^build: skipped: .*esbuild/);
    expect(spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, encoding: 'utf8' }).status).toBe(1);
  });

  it('records through the proxy from the build: the recording worker thread runs its bundled entry', async () => {
    const out = join(work, 'proxy.jsonl.gz');
    const child: ChildProcess = spawn(process.execPath, [BIN, 'proxy', '--listen', '127.0.0.1:0', '--upstream', testUri(), '--out', out], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...DEBUG },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const line = await waitFor(() => stdout.split('\n').find((l) => l.startsWith('{') && stdout.includes('\n')), { what: 'the proxy listening line', timeoutMs: 30_000 });
      expect(stderr).toMatch(RUNS_BUILD(REPO_ROOT));
      const address = (JSON.parse(line) as { listening: string[] }).listening[0]!;
      const client = new MongoClient(`mongodb://${address}/?directConnection=true&appName=built-cli`);
      try {
        const c = client.db(`build_${process.pid}`).collection<{ _id: number; v: string }>('c');
        await c.insertMany([{ _id: 1, v: 'a' }, { _id: 2, v: 'b' }]);
        expect(await c.find({}).sort({ _id: 1 }).toArray()).toEqual([{ _id: 1, v: 'a' }, { _id: 2, v: 'b' }]);
        await c.drop();
      } finally {
        await client.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/capture complete/);
    const cmds: string[] = [];
    for await (const r of readCapture(out)) if (r.app === 'built-cli') cmds.push(r.cmd);
    expect(cmds).toEqual(expect.arrayContaining(['insert', 'find', 'drop']));
  });
});
