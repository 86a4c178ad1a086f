// The proxy's recording worker (start.ts starts it): decodes the framed
// messages the forwarding thread sends over, pairs them into operation records and
// writes the capture file. Messages from the main thread, in order:
//   {t:'batch', opens, meta, data}  (see start.ts for the layout)
//   {t:'finish'}
// Messages to it: {t:'ready', files} | {t:'error', message} | {t:'ack', …counts} |
// {t:'log', line} | {t:'failed', message, …counts} | {t:'done', …counts, files}.
import { parentPort, workerData } from 'node:worker_threads';
import { openCaptureWriter, type CaptureHeaderInput, type CaptureWriter, type CaptureWriterOptions } from '../../../store/writer.ts';
import { InlineRecording, type RecordingSettings } from '../recording.ts';
import { applyBatch, yieldCpuToForwarding, type Batch } from './side.ts';

interface Init {
  readonly path: string;
  readonly header: CaptureHeaderInput;
  readonly writerOptions: CaptureWriterOptions;
  readonly settings: RecordingSettings;
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

port.on('message', (m: Batch | { t: 'finish' }) => {
  if (m.t === 'batch') {
    applyBatch(pipe, m);
    port.postMessage({ t: 'ack', bytes: m.bytes, ...counts() });
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
