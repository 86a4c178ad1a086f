// The shadow's mirror worker (shadow.ts starts it through the proxy's WorkerRecording):
// takes the framed messages the forwarding thread sends over, exactly as the recording
// worker does, and runs the mirror on them (mirror.ts). Messages from the main thread:
//   {t:'batch', …} (see capture/proxy/worker/start.ts) · {t:'status', id, listen} ·
//   {t:'finish', unposted} (operations the forwarding thread did not post because this thread was behind)
// Messages to it: {t:'ready'} | {t:'error', code, message} | {t:'ack', bytes, …counts} |
// {t:'log', line} | {t:'status', id, status} | {t:'done', …counts, run} | {t:'done', failure}.
import { parentPort, workerData } from 'node:worker_threads';
import { applyBatch, yieldCpuToForwarding, type Batch } from '../capture/proxy/worker/side.ts';
import { CompatError } from '../errors.ts';
import { Mirror, type MirrorRequest } from './mirror.ts';

// Nice 19, as the recording worker. Not SCHED_IDLE: tried, a saturated bench host then
// starved the mirror almost entirely (512 operations mirrored in a round against 4,000–6,000
// at nice 19) with no gain for the application, and an idle-class thread that holds a lock
// the forwarding thread needs invites priority inversion.
yieldCpuToForwarding();
const port = parentPort!;
const log = (line: string) => port.postMessage({ t: 'log', line });

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

port.on('message', (m: Batch | { t: 'status'; id: number; listen: string[] } | { t: 'finish'; unposted?: number }) => {
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
      const run = await mirror.finish(m.unposted ?? 0);
      port.postMessage({ t: 'done', ...counts(), run });
    } catch (err) {
      port.postMessage({ t: 'done', ...counts(), failure: (err as Error).message });
    }
    port.close();
  })();
});

port.postMessage({ t: 'ready' });
