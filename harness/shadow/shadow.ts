import { startProxy, WorkerRecording, type ProxyOptions, type RunningProxy } from '../capture/proxy/index.ts';
import { ShadowError } from '../errors.ts';
import type { RunJson } from '../model/run/files.ts';
import type { MirrorRequest } from './mirror.ts';
import { liveView, withUnposted, type LiveStatus } from './status.ts';

/**
 * Live shadow: the recording proxy in front of production, and off its path every
 * sampled operation mirrored to clones and candidates and compared as it happens.
 *
 *   application ──► proxy ──► production       the proxy's own path, unchanged: bytes
 *                     │                        forwarded first, fail-open, TLS, host rewriting
 *                     │ framed messages, batched (a copy; never awaited)
 *                     ▼
 *               mirror worker (mirror.ts, nice 19): decode, sample, mirror, compare, write
 *
 * The mirror runs in its own thread, as the proxy's recording worker does, so its work
 * (decoding, the clones' round trips, comparing, writing outcomes) never delays a byte
 * of the application's; on a busy host it falls behind instead and drops, counted. The
 * live view is served here and asks the worker for its figures.
 */
export interface ShadowRequest extends MirrorRequest {
  readonly listen?: { readonly host?: string; readonly port?: number };
  /** The live view: HTTP on this address (JSON at /status.json, a page at /). */
  readonly status?: { readonly host: string; readonly port: number };
  /** Proxy settings beyond the upstream and listener (TLS, limits). */
  readonly proxy?: Omit<ProxyOptions, 'upstream' | 'listen' | 'capture' | 'sink' | 'recording' | 'replyMode' | 'redaction' | 'log' | 'app'>;
  readonly log?: (line: string) => void;
}

export interface RunningShadow {
  readonly proxy: RunningProxy;
  /** `host:port` of the live view, when one was asked for. */
  readonly statusAddress?: string;
  /** The live view's figures, from the mirror worker. */
  status(): Promise<LiveStatus>;
  /** Stops the proxy, lets the mirror finish the operations in flight, writes run.json. */
  stop(): Promise<{ dir: string; run: RunJson }>;
}

/**
 * Bytes of traffic the mirror thread may be behind before the forwarding thread stops
 * handing it messages (those operations count `mirror-behind`). Small on purpose: what
 * the mirror cannot keep up with is better dropped before it is decoded (decoding every
 * message only to drop the record at a full queue was most of a starved mirror's work)
 * and the recording worker's 64 MiB is sized for a capture that must lose nothing.
 */
const MIRROR_BACKLOG_BYTES = 8 * 1024 * 1024;

/** How long the live view waits for the mirror worker's figures. */
const STATUS_TIMEOUT_MS = 5_000;

export async function startShadow(req: ShadowRequest): Promise<RunningShadow> {
  const log = req.log ?? (() => undefined);
  const { listen, status: statusAt, proxy: proxyOptions, log: _log, ...mirror } = req;
  const { pipe } = await WorkerRecording.startWith('harness/shadow/mirror-thread.ts', mirror satisfies MirrorRequest, MIRROR_BACKLOG_BYTES, log);
  let proxy: RunningProxy;
  try {
    proxy = await startProxy({ ...proxyOptions, ...(req.app ? { app: req.app } : {}), upstream: req.upstream, ...(listen ? { listen } : {}), recording: pipe, replyMode: 'full', log });
  } catch (err) {
    await pipe.finish();
    throw err;
  }
  for (const m of proxy.members) log(`shadow: ${m.address} -> ${m.upstream}`);
  const listening = proxy.members.map((m) => m.address);

  let nextId = 0;
  const waiting = new Map<number, (s: LiveStatus) => void>();
  pipe.onOther = (m) => {
    const r = m as { t: string; id?: number; status?: LiveStatus };
    if (r.t !== 'status' || r.id === undefined) return;
    waiting.get(r.id)?.(r.status!);
    waiting.delete(r.id);
  };
  let last: LiveStatus | undefined;
  const status = (): Promise<LiveStatus> =>
    new Promise<LiveStatus>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        // A mirror busy past the deadline: the figures it gave last, when there are any.
        if (last) resolve(last);
        else reject(new ShadowError(`the mirror did not answer within ${STATUS_TIMEOUT_MS} ms`));
      }, STATUS_TIMEOUT_MS);
      waiting.set(id, (s) => {
        clearTimeout(timer);
        // What the forwarding thread never handed over is known here only.
        const unposted = pipe.unposted;
        last = { ...s, operations: { ...s.operations, seen: s.operations.seen + unposted }, dropped: withUnposted(s.dropped, unposted) };
        resolve(last);
      });
      pipe.post({ t: 'status', id, listen: listening });
    });

  let view: Awaited<ReturnType<typeof liveView>> | undefined;
  if (statusAt) {
    try {
      view = await liveView(statusAt.host, statusAt.port, status);
    } catch (err) {
      await proxy.stop();
      throw err;
    }
    log(`shadow: live view at http://${view.address}/ (JSON at /status.json)`);
  }

  let stopping: Promise<{ dir: string; run: RunJson }> | undefined;
  return {
    proxy,
    ...(view ? { statusAddress: view.address } : {}),
    status,
    stop: () =>
      (stopping ??= (async () => {
        // The proxy's stop finishes the pipe: the worker drains the mirror and writes the run.
        await proxy.stop();
        await view?.close();
        const done = pipe.doneMessage as { run?: RunJson; failure?: string } | undefined;
        if (!done?.run) throw new ShadowError(`the mirror did not complete the run in ${req.out}: ${done?.failure ?? pipe.failure ?? 'its worker stopped'}`);
        return { dir: req.out, run: done.run };
      })()),
  };
}
