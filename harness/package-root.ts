import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Where files of the package are, whether the code runs from its TypeScript sources
 * (harness/…) or from the esbuild bundle (scripts/build.mjs), in which a
 * module's own `import.meta.url` names a bundle chunk, not its source file. Code that
 * reads a file of the package or starts a worker thread asks here, never its own URL.
 */

/**
 * Set by scripts/build.mjs (esbuild `define`) in the bundle only: each worker entry's
 * source path, relative to the package root, and the name of its bundled file. The
 * bundle's entries and chunks all sit flat in one directory, this module's among them.
 */
declare const MONGO_COMPAT_BUNDLE_ENTRIES: Readonly<Record<string, string>> | undefined;
const BUNDLE_ENTRIES = typeof MONGO_COMPAT_BUNDLE_ENTRIES === 'undefined' ? undefined : MONGO_COMPAT_BUNDLE_ENTRIES;

/** The first directory at or above `start` whose package.json is named mongo-compat. */
export function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'mongo-compat') return dir;
    } catch {
      // No package.json here (or not JSON): keep walking up.
    }
    if (dirname(dir) === dir) throw new Error(`no package.json named mongo-compat at or above ${start}`);
  }
}

/** The package's root directory (where its package.json is). */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside the package: `packagePath('captures', 'x.jsonl.gz')`. */
export function packagePath(...segments: string[]): string {
  return join(PACKAGE_ROOT, ...segments);
}

/**
 * The module a worker thread starts from, named by its source path relative to the
 * package root (`harness/shadow/mirror-thread.ts`): that .ts file from sources (the
 * caller registers tsx in the worker), its bundled .mjs file in the bundle.
 */
export function workerEntry(source: string): URL {
  if (!BUNDLE_ENTRIES) return pathToFileURL(packagePath(source));
  const file = BUNDLE_ENTRIES[source];
  if (!file) throw new Error(`${source} is not a worker entry of the bundle: add it to scripts/build.mjs`);
  return new URL(`./${file}`, import.meta.url);
}
