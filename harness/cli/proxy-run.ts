import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startProxy, type RedactionOptions, type ReplyMode } from '../capture/proxy/index.ts';
import type { Config } from '../config/schema.ts';
import { UsageError } from '../errors.ts';

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
}

/** The `proxy` command's flags as commander parses them. */
export type ProxyFlags = {
  listen?: string;
  upstream?: string;
  out?: string;
  app?: string;
  reply?: string;
  redactPath: string[];
  maskStrings?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  upstreamCa?: string;
  maxQueueMb?: string;
  rotateMb?: string;
  statusInterval?: string;
};

/** Flags over the config file's `proxy:` section; every problem is one UsageError line. */
export function resolveProxySettings(flags: ProxyFlags, config: Config['proxy'], env: NodeJS.ProcessEnv): ProxySettings {
  const listen = flags.listen ?? config.listen;
  const m = /^(.+):(\d{1,5})$/.exec(listen);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--listen ${listen}: expected HOST:PORT`);
  const upstream = flags.upstream ?? config.upstream;
  if (!upstream) throw new UsageError('--upstream is required (or proxy.upstream in the config file)');
  const out = flags.out ?? config.out;
  if (!out) throw new UsageError('--out is required (or proxy.out in the config file)');
  const reply = flags.reply ?? config.reply;
  if (reply !== 'full' && reply !== 'digest' && reply !== 'none') throw new UsageError(`--reply ${reply}: expected full, digest or none`);
  const paths = flags.redactPath.length > 0 ? flags.redactPath : config.redactPaths;
  const mask = flags.maskStrings ?? config.maskStrings;
  if (mask && paths.length > 0) throw new UsageError('--mask-strings and --redact-path exclude each other');
  let redaction: RedactionOptions = { mode: 'none' };
  if (mask) redaction = { mode: 'mask-strings' };
  else if (paths.length > 0) {
    // Without a configured key, a random one: equal values stay equal within this capture only.
    const key = env[config.redactKeyEnv] ?? randomBytes(32).toString('hex');
    redaction = { mode: 'hash-paths', paths, key };
  }
  const certFile = flags.tlsCert ?? config.tlsCert;
  const keyFile = flags.tlsKey ?? config.tlsKey;
  if (Boolean(certFile) !== Boolean(keyFile)) throw new UsageError('--tls-cert and --tls-key go together');
  const caFile = flags.upstreamCa ?? config.upstreamCa;
  return {
    host: m[1]!.replace(/^\[(.*)\]$/, '$1'),
    port: Number(m[2]),
    upstream,
    out,
    reply,
    redaction,
    ...((flags.app ?? config.app) ? { app: (flags.app ?? config.app)! } : {}),
    ...(certFile && keyFile ? { tls: { cert: readPem(certFile, '--tls-cert'), key: readPem(keyFile, '--tls-key') } } : {}),
    ...(caFile ? { upstreamCa: readPem(caFile, '--upstream-ca') } : {}),
    maxQueueBytes: positive(flags.maxQueueMb, config.maxQueueMb, '--max-queue-mb') * 1024 * 1024,
    ...(flags.rotateMb ?? config.rotateMb ? { rotateBytes: positive(flags.rotateMb, config.rotateMb ?? 0, '--rotate-mb') * 1024 * 1024 } : {}),
    statusIntervalMs: positive(flags.statusInterval, config.statusIntervalSec, '--status-interval') * 1000,
  };
}

function positive(flag: string | undefined, fallback: number, name: string): number {
  if (flag === undefined) return fallback;
  const n = Number(flag);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} ${flag}: expected a positive number`);
  return n;
}

function readPem(file: string, flag: string): Buffer {
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
  };
}
