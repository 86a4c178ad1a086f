#!/usr/bin/env node
// Runs the command line from its esbuild bundle (scripts/build.mjs, kept in
// node_modules/.cache/mongo-compat/) while that is current, building it first when a
// source changed since; from the TypeScript sources through tsx when no bundle can be
// built here, or when MONGO_COMPAT_TSX=1. A fresh clone and an edited tree both work
// after `npm ci`. MONGO_COMPAT_DEBUG=1 says on stderr which way it went.
import { pathToFileURL } from 'node:url';

const debug = process.env.MONGO_COMPAT_DEBUG ? (line) => process.stderr.write(`mongo-compat: ${line}\n`) : () => undefined;

/** The bundled CLI's file, built now if needed; undefined (and why, under MONGO_COMPAT_DEBUG) when there is none. */
async function bundledCli() {
  if (process.env.MONGO_COMPAT_TSX === '1') {
    debug('MONGO_COMPAT_TSX=1: running the sources through tsx');
    return undefined;
  }
  try {
    const { build, currentEntry } = await import('../scripts/build.mjs');
    const t0 = performance.now();
    const current = currentEntry('cli');
    if ('file' in current) {
      debug(`running the build ${current.file} (checked current in ${(performance.now() - t0).toFixed(1)} ms)`);
      return current.file;
    }
    debug(`${current.reason}; building`);
    const t1 = performance.now();
    const { dir, entry } = await build();
    const file = entry('cli');
    debug(`built ${dir} in ${Math.round(performance.now() - t1)} ms; running the build ${file}`);
    return file;
  } catch (err) {
    debug(`no build (${String(err?.message ?? err).split('\n')[0]}): running the sources through tsx`);
    return undefined;
  }
}

const cli = await bundledCli();
if (cli) {
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(cli).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../harness/cli/main.ts');
}
