import { lookup } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { oneLine, TargetUnavailableError } from '../errors.ts';
import { freePort } from './free-port.ts';
import { pingServer } from './ping.ts';
import { redactUri } from './redact.ts';
import { PROBE_TIMEOUT_MS, type Availability, type RunningTarget, type StartOptions, type TargetProvider, type TargetSpec } from './types.ts';
import { withTimeout } from './with-timeout.ts';

/** The version `doctor` reports and tests ask for when none is given. */
export const MEMORY_SERVER_DEFAULT_VERSION = '4.4.29';
const DOWNLOAD_HOST = 'fastdl.mongodb.org';

/**
 * mongodb-memory-server: downloads (or reuses) a real mongod of a pinned version.
 * `MONGOMS_SYSTEM_BINARY` points it at a local mongod instead; `MONGOMS_DOWNLOAD_MIRROR`
 * at a mirror. The package loads lazily, only when this kind is used.
 */
export const memoryServerProvider: TargetProvider = {
  kind: 'memory-server',
  probe: () => withTimeout(probeMemoryServer(), PROBE_TIMEOUT_MS, () => unusable(`no answer within ${PROBE_TIMEOUT_MS / 1000} s while looking for a mongod binary`)),
  start: startMemoryServer,
};

function unusable(detail: string): Availability {
  return { kind: 'memory-server', usable: false, detail, versions: [] };
}

async function probeMemoryServer(version = MEMORY_SERVER_DEFAULT_VERSION): Promise<Availability> {
  const system = process.env.MONGOMS_SYSTEM_BINARY;
  if (system) {
    return existsSync(system)
      ? { kind: 'memory-server', usable: true, detail: `uses MONGOMS_SYSTEM_BINARY=${system}`, versions: ['the system binary\'s version'] }
      : unusable(`MONGOMS_SYSTEM_BINARY=${system} does not exist`);
  }
  let cached: string | undefined;
  try {
    const { DryMongoBinary } = await import('mongodb-memory-server-core/lib/util/DryMongoBinary.js');
    cached = await DryMongoBinary.locateBinary({ version });
  } catch (err) {
    return unusable(`mongodb-memory-server-core cannot load: ${oneLine(err)}`);
  }
  if (cached) return { kind: 'memory-server', usable: true, detail: `mongod ${version} cached at ${cached}`, versions: [version] };
  if (/^(false|0|no)$/i.test(process.env.MONGOMS_RUNTIME_DOWNLOAD ?? '')) {
    return unusable(`no mongod ${version} cached and MONGOMS_RUNTIME_DOWNLOAD is off; set MONGOMS_SYSTEM_BINARY to a local mongod`);
  }
  const mirror = process.env.MONGOMS_DOWNLOAD_MIRROR;
  const host = mirror ? safeHost(mirror) : DOWNLOAD_HOST;
  try {
    await withTimeout(lookup(host), 3_000, () => {
      throw new Error('DNS lookup timed out');
    });
  } catch (err) {
    return unusable(
      `no mongod binary: MONGOMS_SYSTEM_BINARY unset, none cached, and ${host} cannot be reached to download one (${(err as NodeJS.ErrnoException).code ?? oneLine(err)})`,
    );
  }
  return {
    kind: 'memory-server',
    usable: true,
    detail: `downloads mongod from ${host} on first use (any version, e.g. memory-server:${version})`,
    versions: ['4.2', '4.4', '5.0', '6.0', '7.0', '8.0'],
  };
}

function safeHost(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

async function startMemoryServer(spec: TargetSpec, options: StartOptions = {}): Promise<RunningTarget> {
  const version = spec.version ?? MEMORY_SERVER_DEFAULT_VERSION;
  const availability = await probeMemoryServer(version);
  if (!availability.usable) throw new TargetUnavailableError(`memory-server: ${availability.detail}`);
  options.log?.(`starting mongod ${version} with mongodb-memory-server (${availability.detail})`);
  const mms = await import('mongodb-memory-server-core');
  const binary = { version, ...(process.env.MONGOMS_SYSTEM_BINARY ? { systemBinary: process.env.MONGOMS_SYSTEM_BINARY } : {}) };
  let uri: string;
  let stopServer: () => Promise<unknown>;
  try {
    if (spec.replicaSet) {
      const rs = await mms.MongoMemoryReplSet.create({ binary, replSet: { count: 1, ip: '127.0.0.1', name: 'rs0' } });
      uri = rs.getUri();
      stopServer = () => rs.stop();
    } else {
      const server = await mms.MongoMemoryServer.create({ binary, instance: { ip: '127.0.0.1', port: await freePort() } });
      uri = server.getUri();
      stopServer = () => server.stop();
    }
  } catch (err) {
    throw new TargetUnavailableError(`memory-server ${version} did not start: ${oneLine(err)}`, { cause: err });
  }
  const { serverVersion, product } = await pingServer(uri, options.readyTimeoutMs ?? 15_000);
  let stopped: Promise<void> | undefined;
  return {
    name: spec.name,
    kind: 'memory-server',
    uri,
    displayUri: redactUri(uri),
    serverVersion,
    product,
    stop: () => (stopped ??= stopServer().then(() => undefined)),
  };
}
