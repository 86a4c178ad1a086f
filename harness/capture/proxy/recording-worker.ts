// The proxy's recording worker (worker-recording.ts starts it): decodes the framed
// messages the forwarding thread sends over, pairs them into operation records and
// writes the capture file. Messages from the main thread, in order:
//   {t:'batch', opens, meta, data}  (see worker-recording.ts for the layout)
//   {t:'finish'}
// Messages to it: {t:'ready', files} | {t:'error', message} | {t:'ack', …counts} |
// {t:'log', line} | {t:'done', …counts, files}.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { openCaptureWriter, type CaptureHeaderInput, type CaptureWriter, type CaptureWriterOptions } from '../../store/writer.ts';
import { SessionDecoder } from './decoder.ts';
import { FailOpenRecorder } from './recorder.ts';
import { decoderContext, type RecordingSettings } from './recording.ts';
import { ENTRY, ENTRY_FIELDS } from './worker-protocol.ts';

interface Init {
  readonly path: string;
  readonly header: CaptureHeaderInput;
  readonly writerOptions: CaptureWriterOptions;
  readonly settings: RecordingSettings;
}

/**
 * Recording is best effort and must not slow the traffic it records: this thread runs at
 * the lowest CPU priority (nice 19). On Linux nice is per thread, and
 * setpriority(2) on the thread's own id (/proc/thread-self) changes only this thread;
 * elsewhere the call fails and the worker runs at normal priority. It matters when
 * cores are short: on the 2-core bench machine (client, server and proxy on the same
 * cores), one connection, the proxy's p99 was 790–910 µs at equal priority and
 * 390–810 µs at nice 19, where a 10 ms batch of recording work competes with the client.
 */
function yieldCpuToForwarding(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 19);
  } catch {
    // Not Linux, or not allowed: normal priority.
  }
}
yieldCpuToForwarding();

const port = parentPort!;
const init = workerData as Init;
const log = (line: string) => port.postMessage({ t: 'log', line });

let writer: CaptureWriter;
try {
  writer = await openCaptureWriter(init.path, init.header, init.writerOptions);
} catch (err) {
  port.postMessage({ t: 'error', message: (err as Error).message });
  process.exit(1);
}
const recorder = new FailOpenRecorder(writer, log);
const counters = { parseErrors: 0, authSkipped: 0 };
const ctx = decoderContext(init.settings, recorder, counters, log);
const decoders = new Map<number, SessionDecoder>();
const closing = new Set<Promise<void>>();

function counts() {
  return { recorded: recorder.recorded, dropped: recorder.dropped, parseErrors: counters.parseErrors, authSkipped: counters.authSkipped };
}

function close(session: number): void {
  const d = decoders.get(session);
  if (!d) return;
  decoders.delete(session);
  const p = d.close();
  if (p) {
    const tracked = p.finally(() => closing.delete(tracked));
    closing.add(tracked);
  }
}

function batch(opens: [number, string, string][], meta: Float64Array, data: Buffer, bytes: number): void {
  for (const [session, id, client] of opens) decoders.set(session, new SessionDecoder(ctx, id, client));
  let offset = 0;
  for (let i = 0; i < meta.length; i += ENTRY_FIELDS) {
    const kind = meta[i]!;
    const session = meta[i + 1]!;
    if (kind === ENTRY.close) close(session);
    else if (kind === ENTRY.gap) recorder.dropped += decoders.get(session)?.gap() ?? 0;
    else {
      const length = meta[i + 4]!;
      const message = data.subarray(offset, offset + length);
      offset += length;
      decoders.get(session)?.decode(message, meta[i + 2]!, kind === ENTRY.request, meta[i + 3]!);
    }
  }
  port.postMessage({ t: 'ack', bytes, ...counts() });
}

port.on('message', (m: { t: 'batch'; opens: [number, string, string][]; meta: Float64Array; data: ArrayBuffer; bytes: number } | { t: 'finish' }) => {
  if (m.t === 'batch') {
    batch(m.opens, m.meta, Buffer.from(m.data), m.bytes);
    return;
  }
  void (async () => {
    for (const s of [...decoders.keys()]) close(s);
    await Promise.all([...closing]);
    let failure: string | undefined;
    try {
      await writer.close();
    } catch (err) {
      failure = (err as Error).message;
    }
    port.postMessage({ t: 'done', ...counts(), files: writer.files, ...(failure ? { failure } : {}) });
    port.close();
  })();
});

port.postMessage({ t: 'ready', files: writer.files });
