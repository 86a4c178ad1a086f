// The proxy's recording worker (start.ts starts it): decodes the framed
// messages the forwarding thread sends over, pairs them into operation records and
// writes the capture file. Messages from the main thread, in order:
//   {t:'batch', opens, meta, data}  (see start.ts for the layout)
//   {t:'finish'}
// Messages to it: {t:'ready', files} | {t:'error', message} | {t:'ack', …counts} |
// {t:'log', line} | {t:'failed', message, …counts} | {t:'done', …counts, files}.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { openCaptureWriter, type CaptureHeaderInput, type CaptureWriter, type CaptureWriterOptions } from '../../../store/writer.ts';
import { InlineRecording, type RecordingSettings } from '../recording.ts';
import { ENTRY, ENTRY_FIELDS } from './protocol.ts';

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
  // A write error is told at once (not only at close), and every record from then on is dropped and counted.
  const onError = (err: Error): void => port.postMessage({ t: 'failed', message: err.message, ...counts() });
  writer = await openCaptureWriter(init.path, init.header, { ...init.writerOptions, onError });
} catch (err) {
  port.postMessage({ t: 'error', message: (err as Error).message });
  process.exit(1);
}
const pipe = new InlineRecording(writer, init.settings, log);

/** Records the writer accepted and then lost (a failed write) are dropped, not recorded. */
function counts() {
  const lost = writer.lost;
  return { recorded: pipe.recorded - lost, dropped: pipe.dropped + lost, parseErrors: pipe.parseErrors, authSkipped: pipe.authSkipped };
}

function batch(opens: [number, string, string][], meta: Float64Array, data: Buffer, bytes: number): void {
  for (const [session, id, client] of opens) pipe.open(session, id, client);
  let offset = 0;
  for (let i = 0; i < meta.length; i += ENTRY_FIELDS) {
    const kind = meta[i]!;
    const session = meta[i + 1]!;
    if (kind === ENTRY.close) pipe.close(session);
    else if (kind === ENTRY.gap) pipe.gap(session);
    else {
      const length = meta[i + 4]!;
      pipe.message(session, kind === ENTRY.request, data.subarray(offset, offset + length), meta[i + 2]!, meta[i + 3]!);
      offset += length;
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
    await pipe.finish();
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
