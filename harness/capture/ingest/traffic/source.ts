import type { OperationRecord } from '../../../model/record.ts';
import type { InputCut } from '../../../store/footer.ts';
import type { IngestCounters, IngestIssue } from '../summary.ts';
import { listRecording, readPackets } from './files.ts';
import { pairPackets, type TimedPacket } from './pairing.ts';

export interface TrafficSourceOptions {
  readonly app?: string;
  readonly onIssue: (issue: IngestIssue) => void;
  readonly onCut?: (cut: InputCut) => void;
  readonly counters: IngestCounters;
}

/**
 * Records from a traffic recording (one file, or a directory of rotated files with
 * checksum.txt). Offset-timed packets are placed on the epoch clock by the first file's
 * `<epoch-ms>.bin` name, the moment the server opened it; without one they start at 0.
 */
export async function* trafficRecords(path: string, options: TrafficSourceOptions): AsyncGenerator<OperationRecord> {
  const files = await listRecording(path);
  const baseUs = (files[0]?.startMs ?? 0) * 1000;
  async function* packets(): AsyncGenerator<TimedPacket> {
    for (const [i, file] of files.entries()) {
      // The recorder writes a file's line as it closes it: only the last file may lack one (recording stopped abnormally).
      if (file.unlisted && i < files.length - 1) {
        options.onIssue({ file: file.path, line: 0, code: 'MC_INGEST_TRAFFIC_CHECKSUM', message: 'no line in checksum.txt for this file, though later files were written: it cannot be verified' });
      }
      for await (const p of readPackets(file, options.onIssue, options.onCut)) {
        options.counters.lines++;
        let t = p.timeBase === 'epoch-ms' ? Number(p.time) * 1000 : baseUs + Number(p.time);
        if (!Number.isSafeInteger(t)) {
          options.onIssue({ file: file.path, line: p.index, code: 'MC_INGEST_TRAFFIC_BAD_TIME', message: `packet time ${p.time} is not a usable time; recorded as 0` });
          t = 0;
        }
        yield { file: file.path, index: p.index, sessionId: p.sessionId, session: p.session, t, message: p.message };
      }
    }
  }
  for await (const rec of pairPackets(packets(), { ...(options.app ? { app: options.app } : {}), onIssue: options.onIssue, firstSeq: options.counters.records })) {
    options.counters.records++;
    yield rec;
  }
}
