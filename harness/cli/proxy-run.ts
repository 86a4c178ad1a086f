import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startProxy, type RedactionOptions, type ReplyMode } from '../capture/proxy/index.ts';
import type { Config } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import { splitHostPort } from './common.ts';

export interface ProxySettings {
  readonly host: string;
  readonly port: number;
  readonly upstream: string;
  readonly out: string;
  readonly app?: string;
  readonly reply: ReplyMode;
  readonly redaction: RedactionOptions;
  readonly tls?: { cert: Buffer; key: Buffer };
  readonly upstreamCa?: Buffer;
  readonly maxQueueBytes: number;
  readonly rotateBytes?: number;
  readonly statusIntervalMs: number;
  readonly limits?: ProxyLimitSettings;
}

export interface ProxyLimitSettings {
  readonly maxConnections?: number;
  readonly maxBufferedBytes?: number;
  readonly messageTimeoutMs?: number;
}

/**
 * The `proxy:` section, flags already over it and checked by the schema, as the
 * proxy's settings: what the schema cannot say (a required upstream, options that
 * exclude or need each other) is checked here, and files are read. Every problem is
 * one UsageError line naming the flag.
 */
export function resolveProxySettings(c: Config['proxy'], env: NodeJS.ProcessEnv): ProxySettings {
  if (!c.upstream) throw new UsageError('--upstream is required (or proxy.upstream in the config file)');
  if (!c.out) throw new UsageError('--out is required (or proxy.out in the config file)');
  if (c.maskStrings && c.redactPaths.length > 0) throw new UsageError('--mask-strings and --redact-path exclude each other');
  let redaction: RedactionOptions = { mode: 'none' };
  if (c.maskStrings) redaction = { mode: 'mask-strings' };
  else if (c.redactPaths.length > 0) {
    // Without a configured key, a random one: equal values stay equal within this capture only.
    const key = env[c.redactKeyEnv] ?? randomBytes(32).toString('hex');
    redaction = { mode: 'hash-paths', paths: c.redactPaths, key };
  }
  if (Boolean(c.tlsCert) !== Boolean(c.tlsKey)) throw new UsageError('--tls-cert and --tls-key go together');
  const [host, port] = splitHostPort(c.listen);
  return {
    host,
    port,
    upstream: c.upstream,
    out: c.out,
    reply: c.reply,
    redaction,
    ...(c.app ? { app: c.app } : {}),
    ...(c.tlsCert && c.tlsKey ? { tls: { cert: readPem(c.tlsCert, '--tls-cert'), key: readPem(c.tlsKey, '--tls-key') } } : {}),
    ...(c.upstreamCa ? { upstreamCa: readPem(c.upstreamCa, '--upstream-ca') } : {}),
    maxQueueBytes: c.maxQueueMb * 1024 * 1024,
    ...(c.rotateMb ? { rotateBytes: c.rotateMb * 1024 * 1024 } : {}),
    statusIntervalMs: c.statusIntervalSec * 1000,
    limits: { maxConnections: c.maxConnections, maxBufferedBytes: Math.round(c.maxBufferMb * 1024 * 1024), messageTimeoutMs: Math.round(c.messageTimeoutSec * 1000) },
  };
}

export function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`${flag} ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
}

/** Opens the capture, starts the proxy; `stop` flushes and closes both and returns the files written. */
export async function runProxy(s: ProxySettings, log: (line: string) => void) {
  const { parseUpstream } = await import('../capture/proxy/index.ts');
  const up = parseUpstream(s.upstream);
  const proxy = await startProxy({
    upstream: s.upstream,
    capture: {
      path: s.out,
      header: {
        ...(s.app ? { app: s.app } : {}),
        source: { kind: 'proxy', host: up.display },
        ...(up.replicaSet ? { replicaSet: up.replicaSet } : {}),
        startedAt: new Date().toISOString(),
        redaction: s.redaction.mode === 'hash-paths' ? { mode: 'hash-paths', paths: [...s.redaction.paths] } : { mode: s.redaction.mode },
        replyMode: s.reply,
      },
      writer: { maxQueueBytes: s.maxQueueBytes, ...(s.rotateBytes ? { rotateBytes: s.rotateBytes } : {}) },
    },
    listen: { host: s.host, port: s.port },
    ...(s.app ? { app: s.app } : {}),
    replyMode: s.reply,
    redaction: s.redaction,
    ...(s.tls ? { tls: s.tls } : {}),
    ...(s.upstreamCa ? { upstreamTls: { ca: s.upstreamCa } } : {}),
    statusIntervalMs: s.statusIntervalMs,
    ...s.limits,
    log,
  });
  for (const m of proxy.members) log(`proxy: ${m.address} -> ${m.upstream}`);
  const running = proxy;
  return {
    addresses: running.members.map((m) => m.address),
    upstream: running.upstream,
    stop: async (): Promise<string[]> => {
      await running.stop();
      return [...running.files];
    },
    /** Set once writing the capture failed: the command then exits non-zero. */
    get writeFailure(): string | undefined {
      return running.writeFailure;
    },
  };
}
