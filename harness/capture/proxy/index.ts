import { PROXY_DEFAULTS } from '../../config/schema.ts';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { ProxyError } from '../../errors.ts';
import type { RecordSink } from '../../model/record.ts';
import type { CaptureHeaderInput, CaptureWriterOptions } from '../../store/writer.ts';
import type { RedactionOptions } from './redaction.ts';
import { InlineRecording, type RecordingPipe, type RecordingSettings } from './recording.ts';
import type { ReplyMode } from './reply-summary.ts';
import { ProxySession, type SessionContext } from './session.ts';
import { BufferBudget } from './budget.ts';
import { refuseConnection } from './refuse.ts';
import { WorkerRecording } from './worker/start.ts';
import { formatStatus, newStats, type ProxyStats } from './stats.ts';
import { parseUpstream, type UpstreamMember } from './upstream.ts';

export type { ProxyStats } from './stats.ts';
export type { RecordingPipe, RecordingSettings } from './recording.ts';
export { WorkerRecording } from './worker/start.ts';
export type { RedactionOptions } from './redaction.ts';
export type { ReplyMode } from './reply-summary.ts';
export { formatStatus } from './stats.ts';
export { parseUpstream } from './upstream.ts';

export interface ProxyOptions {
  /** Connection string of the real deployment. May hold credentials: they are never stored or printed. */
  readonly upstream: string;
  /**
   * Where records go, exactly one of: `capture`, a capture file written by the
   * recording worker off the forwarding thread (the CLI, the demo); or `sink`, any
   * RecordSink, fed on the proxy's own thread.
   */
  readonly capture?: { readonly path: string; readonly header: CaptureHeaderInput; readonly writer?: CaptureWriterOptions };
  readonly sink?: RecordSink;
  /** Or a recording pipe already running (a shadow's mirror worker); the proxy finishes it at stop. */
  readonly recording?: RecordingPipe;
  /** Listen host (default 127.0.0.1) and first port (default 0: any free port). */
  readonly listen?: { readonly host?: string; readonly port?: number };
  /**
   * One listening port per upstream member (ports port, port+1, … or free ones when
   * port is 0), and hello replies rewritten so a discovering driver stays behind the
   * proxy. Default: on when the upstream names more than one member or a replicaSet.
   */
  readonly perMember?: boolean;
  readonly app?: string;
  readonly replyMode?: ReplyMode;
  readonly redaction?: RedactionOptions;
  /** Terminate TLS from clients with this certificate and key (PEM contents). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** TLS towards the upstream (also switched on by tls=true in the URI). */
  readonly upstreamTls?: {
    readonly ca?: string | Buffer;
    readonly servername?: string;
    readonly rejectUnauthorized?: boolean;
    /** Client certificate and key (PEM, one file's contents) for an upstream that requires one; else `tlsCertificateKeyFile` of the URI. */
    readonly certificateKey?: string | Buffer;
    readonly passphrase?: string;
  };
  /**
   * Bytes of unfinished messages held across all connections (default
   * PROXY_LIMITS.maxBufferedBytes); past it a message is forwarded but not recorded (budget.ts).
   */
  readonly maxBufferedBytes?: number;
  /** A message unfinished this long closes its connection (default PROXY_LIMITS.messageTimeoutMs). Idle connections stay. */
  readonly messageTimeoutMs?: number;
  /** Connections open at once; more are refused with an error reply (default PROXY_LIMITS.maxConnections). */
  readonly maxConnections?: number;
  /** Default: the config schema's `proxy.statusIntervalSec`. */
  readonly statusIntervalMs?: number;
  /** Human-readable lines (stderr in the CLI); silent when absent. */
  readonly log?: (line: string) => void;
}

/**
 * The proxy's resource limits. Measured: 20 connections each holding a 40 MiB
 * unfinished message took an unbounded proxy from 128 MB to 949 MB RSS; with the
 * budget the same flood stays near the idle size plus the budget.
 */
export const PROXY_LIMITS = Object.freeze({
  /** Above the largest wire message (48,000,000 bytes), so any one message can still be recorded. */
  maxBufferedBytes: PROXY_DEFAULTS.maxBufferMb * 1024 * 1024,
  /** A driver sends a whole message at once; half a minute unfinished is a stalled or hostile client. */
  messageTimeoutMs: PROXY_DEFAULTS.messageTimeoutSec * 1000,
  maxConnections: PROXY_DEFAULTS.maxConnections,
});

export interface ProxyMember {
  readonly upstream: string;
  readonly host: string;
  readonly port: number;
  readonly address: string;
}

export interface RunningProxy {
  readonly host: string;
  readonly port: number;
  /** `host:port` of the first listener. */
  readonly address: string;
  readonly members: readonly ProxyMember[];
  readonly upstream: string;
  readonly stats: Readonly<ProxyStats>;
  /** Capture files written (a file capture; complete once stop() has resolved). */
  readonly files: readonly string[];
  /** Why the capture file could not be written (a full disk…), once it could not; records were dropped and counted. */
  readonly writeFailure: string | undefined;
  statusLine(): string;
  /** Stops listening, closes every connection, records what was still waiting for a reply. */
  stop(): Promise<void>;
}

/**
 * Starts the recording proxy: every client connection gets its own upstream
 * connection; bytes flow unchanged (hello host lists aside) and each operation is
 * written to `sink` without ever waiting for it.
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const up = parseUpstream(options.upstream);
  const log = options.log ?? (() => undefined);
  const host = options.listen?.host ?? '127.0.0.1';
  const basePort = options.listen?.port ?? 0;
  const perMember = options.perMember ?? (up.members.length > 1 || up.replicaSet !== undefined);
  const members = perMember ? up.members : up.members.slice(0, 1);
  const counters = { ...newStats(), undecodableStreams: 0 };
  const settings: RecordingSettings = {
    ...(options.app !== undefined ? { app: options.app } : {}),
    replyMode: options.replyMode ?? 'full',
    redaction: options.redaction ?? { mode: 'none' },
  };
  if ([options.sink, options.capture, options.recording].filter((o) => o !== undefined).length !== 1) throw new ProxyError('proxy: give exactly one of a capture file, a record sink or a recording pipe');
  const recording: RecordingPipe = options.recording
    ? options.recording
    : options.sink
    ? new InlineRecording(options.sink, settings, log)
    : await WorkerRecording.start({ path: options.capture!.path, header: options.capture!.header, ...(options.capture!.writer ? { writerOptions: options.capture!.writer } : {}), settings, log });
  const live: Record<string, () => number> = {
    opsRecorded: () => recording.recorded,
    dropped: () => recording.dropped + counters.overBudget,
    parseErrors: () => recording.parseErrors + counters.undecodableStreams,
    bufferedBytes: () => budget.held,
    bufferedPeakBytes: () => budget.peak,
    authSkipped: () => recording.authSkipped,
  };
  const stats = new Proxy(counters, {
    get: (target, key: keyof ProxyStats) => live[key]?.() ?? target[key],
  });
  const hostMap = new Map<string, string>();
  const budget = new BufferBudget(options.maxBufferedBytes ?? PROXY_LIMITS.maxBufferedBytes);
  const messageTimeoutMs = options.messageTimeoutMs ?? PROXY_LIMITS.messageTimeoutMs;
  const maxConnections = options.maxConnections ?? PROXY_LIMITS.maxConnections;
  counters.bufferBudgetBytes = budget.limit;
  let overBudgetLogged = false;
  const unmapped = new Set<string>();
  const ctx: SessionContext = {
    hostMap,
    recording,
    log,
    budget,
    onReleased: (session, isRequest) => {
      counters.overBudget++;
      if (!overBudgetLogged) {
        overBudgetLogged = true;
        log(`proxy ${session.id}: buffer budget of ${budget.limit} bytes full: a ${isRequest ? 'request' : 'reply'} is forwarded but not recorded (counted as dropped; said once)`);
      }
    },
    onUndecodable: () => void counters.undecodableStreams++,
    onUnmappedMember: (member) => {
      if (unmapped.has(member)) return;
      unmapped.add(member);
      counters.unmappedMembers++;
      log(`proxy: warning: the upstream's hello names member ${member}, which this proxy has no listener for: a client that discovers the replica set reaches it directly and its traffic is NOT recorded (list every member in --upstream, or connect clients with directConnection=true)`);
    },
  };
  const upstreamTls = up.tls || options.upstreamTls !== undefined;
  const ca = options.upstreamTls?.ca ?? (up.tlsCAFile ? readPem(up.tlsCAFile, 'tlsCAFile') : undefined);
  const certificateKey = options.upstreamTls?.certificateKey ?? (up.tlsCertificateKeyFile ? readPem(up.tlsCertificateKeyFile, 'tlsCertificateKeyFile') : undefined);
  const passphrase = options.upstreamTls?.passphrase ?? up.tlsCertificateKeyFilePassword;
  const sessions = new Set<ProxySession>();
  const servers: net.Server[] = [];
  const listening: ProxyMember[] = [];
  let connSeq = 0;

  const connectUpstream = (m: UpstreamMember): net.Socket => {
    if (!upstreamTls) return net.connect({ host: m.host, port: m.port, noDelay: true });
    const socket = tls.connect({
      host: m.host,
      port: m.port,
      servername: options.upstreamTls?.servername ?? (net.isIP(m.host) ? undefined : m.host),
      rejectUnauthorized: options.upstreamTls?.rejectUnauthorized ?? !up.tlsAllowInvalid,
      ...(ca ? { ca } : {}),
      // One PEM holds both: Node takes the certificate from `cert` and the key from `key`.
      ...(certificateKey ? { cert: certificateKey, key: certificateKey, ...(passphrase ? { passphrase } : {}) } : {}),
    });
    socket.setNoDelay(true);
    return socket;
  };

  let refusedLogged = 0;
  const onClient = (index: number, member: UpstreamMember) => (client: net.Socket) => {
    client.setNoDelay(true);
    if (counters.connectionsOpen >= maxConnections) {
      counters.connectionsRefused++;
      const reason = `too many connections: ${counters.connectionsOpen} open, --max-connections ${maxConnections}`;
      // One line per refusal would flood stderr under a connection storm: the first, then every 1,000th.
      if (refusedLogged++ % 1000 === 0) log(`proxy: refused a connection from ${client.remoteAddress ?? '?'}:${client.remotePort ?? 0}: ${reason} (${counters.connectionsRefused} refused so far)`);
      refuseConnection(client, `mongo-compat proxy: ${reason}`);
      return;
    }
    const upstream = connectUpstream(member);
    const id = `p${index + 1}:${++connSeq}`;
    counters.connectionsOpen++;
    counters.connectionsTotal++;
    const session = new ProxySession(
      ctx,
      connSeq,
      id,
      `${client.remoteAddress ?? '?'}:${client.remotePort ?? 0}`,
      client,
      upstream,
      () => {
        counters.connectionsOpen--;
        sessions.delete(session);
      },
      (fromClient, fromUpstream) => {
        counters.bytesFromClients += fromClient;
        counters.bytesFromUpstream += fromUpstream;
      },
    );
    sessions.add(session);
  };

  try {
    for (let i = 0; i < members.length; i++) {
      const member = members[i]!;
      const handler = onClient(i, member);
      const server = options.tls
        ? tls.createServer({ cert: options.tls.cert, key: options.tls.key }, handler)
        : net.createServer({ noDelay: true }, handler);
      // A TLS handshake that fails must not take the proxy down.
      server.on('tlsClientError', (err: Error) => log(`proxy: client TLS handshake failed: ${err.message}`));
      servers.push(server);
      const port = await listen(server, host, basePort === 0 ? 0 : basePort + i);
      const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      listening.push({ upstream: `${member.host}:${member.port}`, host, port, address });
      hostMap.set(`${member.host}:${member.port}`.toLowerCase(), address);
    }
  } catch (err) {
    for (const s of servers) s.close();
    await recording.finish();
    throw err;
  }
  // A single upstream may call itself by another name (localhost vs 127.0.0.1): match by port.
  if (!perMember || members.length === 1) {
    const only = members[0]!;
    for (const alias of ['localhost', '127.0.0.1', '[::1]']) hostMap.set(`${alias}:${only.port}`, listening[0]!.address);
  }

  const statusTimer = setInterval(() => log(formatStatus(stats)), options.statusIntervalMs ?? PROXY_DEFAULTS.statusIntervalSec * 1000);
  statusTimer.unref();
  // Stalled messages: a sweep a few times per limit, so a connection goes at most a quarter late.
  const stallTimer = setInterval(
    () => {
      const now = performance.now();
      for (const s of sessions) {
        const since = s.partialSinceMs;
        if (since > 0 && now - since > messageTimeoutMs) {
          counters.connectionsStalled++;
          s.close(`a message stayed unfinished for more than ${messageTimeoutMs} ms`);
        }
      }
    },
    Math.max(50, Math.min(1000, messageTimeoutMs / 4)),
  );
  stallTimer.unref();
  let stopped: Promise<void> | undefined;
  const first = listening[0]!;
  return {
    host: first.host,
    port: first.port,
    address: first.address,
    members: listening,
    upstream: up.display,
    stats,
    get files() {
      return recording instanceof WorkerRecording && !options.recording ? recording.files : [];
    },
    get writeFailure() {
      return recording instanceof WorkerRecording && !options.recording ? recording.failure : undefined;
    },
    statusLine: () => formatStatus(stats),
    stop: () =>
      (stopped ??= (async () => {
        clearInterval(statusTimer);
        clearInterval(stallTimer);
        const closing = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
        for (const s of [...sessions]) s.close('proxy stopping');
        await Promise.all(closing);
        await recording.finish();
        log(formatStatus(stats));
      })()),
  };
}

function readPem(file: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ProxyError(`--upstream ${option}=${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new ProxyError(`cannot listen on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`, { cause: err }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}
