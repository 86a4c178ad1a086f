import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { BSON } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logRecords } from '../../../../harness/capture/ingest/log-source.ts';
import { parseProfileEntry } from '../../../../harness/capture/ingest/profile.ts';
import { newCounters } from '../../../../harness/capture/ingest/summary.ts';
import { trafficRecords } from '../../../../harness/capture/ingest/traffic/source.ts';
import { CompatError } from '../../../../harness/errors.ts';

/*
 * Whatever bytes arrive as a log, a profiler stream or a traffic recording, ingest ends
 * normally, reports issues and cuts, or throws a CompatError: never a TypeError, a
 * RangeError or a zlib error escaping with no code.
 */

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-ingest-garbage-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function drain(records: AsyncIterable<unknown>): Promise<void> {
  try {
    for await (const r of records) void r;
  } catch (err) {
    if (!(err instanceof CompatError)) throw err;
  }
}

const opts = () => ({ onIssue: () => undefined, onCut: () => undefined, counters: newCounters() });

/** Bytes that are sometimes near-valid: plain garbage, text with log-like lines, gzip of either, gzip cut anywhere. */
const logBytes = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
  fc
    .array(fc.oneof(fc.string(), fc.constantFrom('{"msg":"Slow query","id":51803', 'a | {"t":', '2024-01-01T00:00:00Z stdout P {', 'Jan  1 00:00:00 h mongod[1]: 2020-01-01T00:00:00.000+0000 I  COMMAND  [c] command a.b command: find { 5ms')))
    .map((l) => Buffer.from(l.join('\n'))),
).chain((b) =>
  fc.oneof(
    fc.constant(b),
    fc.constant(gzipSync(b)),
    fc.nat().map((k) => {
      const z = gzipSync(b);
      return z.subarray(0, 2 + (k % (z.length - 1)));
    }),
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([k, v]) => {
      const z = Buffer.from(gzipSync(b));
      z[10 + (k % (z.length - 10))] = v;
      return z;
    }),
  ),
);

describe('ingest sources on garbage', () => {
  it('a log stream of any bytes (plain, gzip, cut gzip, corrupt gzip) gives records, issues, cuts or a CompatError', async () => {
    await fc.assert(
      fc.asyncProperty(logBytes, async (bytes) => {
        const file = join(dir, `log-${n++}`);
        await writeFile(file, bytes);
        await drain(logRecords([file], opts()));
      }),
      { numRuns: 150 },
    );
  });

  it('a traffic recording of any bytes gives records, issues, cuts or a CompatError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (bytes) => {
        const file = join(dir, `rec-${n++}.bin`);
        await writeFile(file, bytes);
        await drain(trafficRecords(file, opts()));
      }),
      { numRuns: 150 },
    );
  });

  it('a profiler stream of any documents (BSON decoded from any bytes, or any values) never throws', () => {
    const docs = fc.oneof(
      fc.uint8Array({ minLength: 5, maxLength: 300 }).map((b) => {
        const buf = Buffer.from(b);
        buf.writeInt32LE(buf.length, 0);
        buf[buf.length - 1] = 0;
        try {
          return BSON.deserialize(buf, { promoteValues: false });
        } catch {
          return {};
        }
      }),
      fc.dictionary(fc.constantFrom('ns', 'op', 'command', 'millis', 'ts', 'appName', 'client', 'originatingCommand', 'query', 'updateobj', 'cursorid', 'nreturned'), fc.anything()),
    );
    fc.assert(
      fc.property(docs, (doc) => {
        try {
          const r = parseProfileEntry(doc as BSON.Document);
          expect(['op', 'bad', 'skip', 'client', 'restart']).toContain(r.kind);
        } catch (err) {
          if (!(err instanceof CompatError)) throw err;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
