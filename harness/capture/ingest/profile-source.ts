import { MongoClient, type Document } from 'mongodb';
import { IngestInputError } from '../../errors.ts';
import type { OperationRecord } from '../../model/record.ts';
import { parseProfileEntry } from './profile.ts';
import { toRecord } from './slow-op.ts';
import type { IngestCounters, IngestIssue } from './summary.ts';

export interface ProfileSourceOptions {
  readonly db: string;
  /** Entries after this time only. */
  readonly since?: Date;
  /** `system.profile` unless told otherwise (tests and copies of a profile). */
  readonly collection?: string;
  readonly app?: string;
  readonly onIssue: (issue: IngestIssue) => void;
  readonly counters: IngestCounters;
  /** Filled once connected: the server's version, for the capture header. */
  readonly onServer?: (info: { version?: string }) => void;
}

/**
 * Reads a profiler collection with the driver, oldest first, one batch at a time.
 * `system.profile` is capped: natural order is insertion order, so no sort (and no
 * index) is needed. BSON values keep their classes (promoteValues off).
 */
export async function* profileRecords(uri: string, label: string, options: ProfileSourceOptions): AsyncGenerator<OperationRecord> {
  // A timeout given in the URI wins; otherwise fail within 10 s rather than the driver's 30.
  const client = new MongoClient(uri, { appName: 'mongo-compat ingest', ...(/[?&]serverSelectionTimeoutMS=/i.test(uri) ? {} : { serverSelectionTimeoutMS: 10_000 }) });
  try {
    try {
      await client.connect();
    } catch (err) {
      throw new IngestInputError(`${label}: cannot connect (${(err as Error).message.split('\n')[0]})`, { cause: err });
    }
    const build = (await client.db('admin').command({ buildInfo: 1 }).catch(() => ({}))) as Document;
    options.onServer?.(typeof build.version === 'string' ? { version: build.version } : {});
    const name = options.collection ?? 'system.profile';
    const filter = options.since ? { ts: { $gt: options.since } } : {};
    const cursor = client.db(options.db).collection(name).find(filter, { promoteValues: false, bsonRegExp: true, batchSize: 1000 });
    let n = 0;
    try {
      for await (const doc of cursor) {
        n++;
        options.counters.lines++;
        const r = parseProfileEntry(doc);
        if (r.kind === 'bad') {
          options.onIssue({ file: `${label} ${options.db}.${name}`, line: n, code: 'MC_INGEST_BAD_PROFILE_ENTRY', message: r.message });
          continue;
        }
        if (r.kind !== 'op') continue;
        yield toRecord(r.op, options.counters.records++, options.app);
      }
    } catch (err) {
      throw new IngestInputError(`${label}: cannot read ${options.db}.${name} (${(err as Error).message.split('\n')[0]})`, { cause: err });
    }
  } finally {
    await client.close().catch(() => undefined);
  }
}
