import type { OperationRecord } from '../../../model/record.ts';
import type { IngestCounters, IngestIssue } from '../summary.ts';
import { listRecording, readPackets } from './files.ts';
import { pairPackets, type TimedPacket } from './pairing.ts';

/** A `time` at or above this is epoch milliseconds (`Date_t`, 4.2–7.x); below, a µs offset from the recording's start. */
const EPOCH_MS_FLOOR = 100_000_000_000n; // 1973-03-03

export interface TrafficSourceOptions {
  readonly app?: string;
  readonly onIssue: (issue: IngestIssue) => void;
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
    for (const file of files) {
      for await (const p of readPackets(file, options.onIssue)) {
        options.counters.lines++;
        let t = p.time >= EPOCH_MS_FLOOR ? Number(p.time) * 1000 : baseUs + Number(p.time);
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
