// The shadow's mirror worker (shadow.ts starts it through the proxy's WorkerRecording):
// takes the framed messages the forwarding thread sends over, exactly as the recording
// worker does, and runs the mirror on them (mirror.ts). Messages from the main thread:
//   {t:'batch', …} (see capture/proxy/worker/start.ts) · {t:'status', id, listen} · {t:'finish'}
// Messages to it: {t:'ready'} | {t:'error', code, message} | {t:'ack', bytes, …counts} |
// {t:'log', line} | {t:'status', id, status} | {t:'done', …counts, run} | {t:'done', failure}.
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { applyBatch, yieldCpuToForwarding, type Batch } from '../capture/proxy/worker/side.ts';
import { CompatError } from '../errors.ts';
import { Mirror, type MirrorRequest } from './mirror.ts';

yieldCpuToForwarding();
idleWhenOthersRun();
const port = parentPort!;
const log = (line: string) => port.postMessage({ t: 'log', line });

/**
 * Beyond nice 19: on Linux the mirror thread takes the SCHED_IDLE policy (util-linux
 * `chrt --idle`), so it runs only on a core nothing else wants and yields the moment the
 * forwarding thread (or anything else) wakes up. Nice 19 alone still lets it hold a core
 * for a scheduler slice when a latency-bound application's thread wakes. Where `chrt` is
 * missing or not allowed, nice 19 stands.
 */
function idleWhenOthersRun(): void {
  try {
    const tid = readlinkSync('/proc/thread-self').split('/').pop();
    if (tid) spawnSync('chrt', ['--idle', '-p', '0', tid], { stdio: 'ignore', timeout: 2_000 });
  } catch {
    // Not Linux: nice 19 as set above, where that worked.
  }
}

let mirror: Mirror;
try {
  mirror = await Mirror.start(workerData as MirrorRequest, log);
} catch (err) {
  port.postMessage({ t: 'error', ...(err instanceof CompatError ? { code: err.code } : {}), message: (err as Error).message.split('\n')[0] });
  process.exit(1);
}

function counts() {
  const p = mirror.pipe;
  return { recorded: p.recorded, dropped: p.dropped, parseErrors: p.parseErrors, authSkipped: p.authSkipped };
}

port.on('message', (m: Batch | { t: 'status'; id: number; listen: string[] } | { t: 'finish' }) => {
  if (m.t === 'batch') {
    applyBatch(mirror.pipe, m);
    port.postMessage({ t: 'ack', bytes: m.bytes, ...counts() });
    return;
  }
  if (m.t === 'status') {
    port.postMessage({ t: 'status', id: m.id, status: mirror.status(m.listen) });
    return;
  }
  void (async () => {
    try {
      const run = await mirror.finish();
      port.postMessage({ t: 'done', ...counts(), run });
    } catch (err) {
      port.postMessage({ t: 'done', ...counts(), failure: (err as Error).message });
    }
    port.close();
  })();
});

port.postMessage({ t: 'ready' });
