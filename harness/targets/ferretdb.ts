import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TargetUnreachableError } from '../errors.ts';
import { spawnOwned, stopChild } from './children.ts';
import { ensureFerretDb, FERRETDB_DEFAULT_VERSION, ferretDbBinaryPath, findGo, normaliseFerretDbVersion } from './ferretdb-build.ts';
import { freePort } from './free-port.ts';
import { waitForPing } from './ping.ts';
import type { Availability, RunningTarget, StartOptions, TargetProvider, TargetSpec } from './types.ts';

export const FERRETDB_REPLICA_SET = 'rs0';

export interface FerretDbInstance extends RunningTarget {
  readonly pid: number;
  readonly port: number;
  readonly dataDir: string;
}

/**
 * FerretDB with its SQLite backend: a real MongoDB-protocol server that builds from
 * the Go module proxy, for machines with no MongoDB binaries and no Docker.
 */
export const ferretDbProvider: TargetProvider = {
  kind: 'ferretdb',
  async probe(): Promise<Availability> {
    const versions = [FERRETDB_DEFAULT_VERSION];
    if (existsSync(ferretDbBinaryPath())) {
      return { kind: 'ferretdb', usable: true, detail: `built at ${ferretDbBinaryPath()}`, versions };
    }
    const go = await findGo();
    if (go) {
      return {
        kind: 'ferretdb',
        usable: true,
        detail: `not built yet; first use builds it with ${go} (a few minutes, once)`,
        versions,
      };
    }
    return { kind: 'ferretdb', usable: false, detail: 'not built and no Go toolchain on PATH to build it (install Go 1.24+)', versions };
  },
  start: (spec, options) => startFerretDb(spec, options),
};

export async function startFerretDb(
  spec: Pick<TargetSpec, 'name' | 'version' | 'replicaSet'> & {
    /** More FerretDB flags, e.g. `--setup-username`/`--setup-password` for a server that requires auth. */
    readonly extraArgs?: readonly string[];
  },
  options: StartOptions = {},
): Promise<FerretDbInstance> {
  const version = normaliseFerretDbVersion(spec.version);
  const binary = await ensureFerretDb({ version, log: options.log });
  const dataDir = await mkdtemp(join(tmpdir(), 'mongo-compat-ferretdb-'));
  let lastError: unknown;
  // A free port can be taken between asking and binding: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const args = [
      '--handler=sqlite',
      `--sqlite-url=file:${dataDir}/`,
      `--state-dir=${dataDir}`,
      `--listen-addr=127.0.0.1:${port}`,
      '--telemetry=disable',
      '--debug-addr=-',
      '--log-level=error',
      '--log-format=text',
      ...(spec.replicaSet ? [`--repl-set-name=${FERRETDB_REPLICA_SET}`] : []),
      ...(spec.extraArgs ?? []),
    ];
    const child = spawnOwned(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    const uri = `mongodb://127.0.0.1:${port}/?directConnection=true`;
    const stop = async () => {
      await stopChild(child);
      await rm(dataDir, { recursive: true, force: true });
    };
    try {
      const { serverVersion, product } = await waitForPing(uri, options.readyTimeoutMs ?? 15_000, () =>
        child.exitCode !== null || child.signalCode !== null
          ? `FerretDB exited at start (${child.exitCode ?? child.signalCode}): ${stderr.trim().split('\n').pop() ?? ''}`
          : undefined,
      );
      return {
        name: spec.name,
        kind: 'ferretdb',
        uri,
        displayUri: uri,
        serverVersion,
        product,
        pid: child.pid!,
        port,
        dataDir,
        stop: once(stop),
      };
    } catch (err) {
      lastError = err;
      await stopChild(child);
      if (!/address already in use/.test(stderr)) break;
    }
  }
  await rm(dataDir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new TargetUnreachableError(String(lastError));
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
