import { fc, test as propTest } from '@fast-check/vitest';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect } from 'vitest';
import { CompatError } from '../../../harness/errors.ts';
import { decodeRecordLine, encodeRecordLine } from '../../../harness/store/line-codec.ts';
import { operationRecord } from './arbitraries.ts';
import { HEADER, readAll, sampleRecord, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;

/** Lines that look like records but are damaged: mutations of a real line. */
const damagedLine = fc
  .tuple(fc.nat(), fc.nat({ max: 40 }), fc.string({ maxLength: 6 }))
  .map(([at, del, ins]) => {
    const line = encodeRecordLine(sampleRecord(3));
    const i = at % line.length;
    return line.slice(0, i) + ins + line.slice(i + del);
  });

describe('decodeRecordLine', () => {
  propTest.prop([fc.oneof(fc.string(), fc.json(), damagedLine)], { numRuns: 500 })('never throws on garbage: a typed failure instead', (line) => {
    const res = decodeRecordLine(line);
    if (!res.ok) {
      expect(res.code).toMatch(/^MC_CAPTURE_(CORRUPT|INVALID)_RECORD$/);
      expect(res.message).not.toContain('\n');
    }
  });

  propTest.prop([operationRecord], { numRuns: 100 })('encodes every record as one line', (rec) => {
    const line = encodeRecordLine(rec);
    expect(line).not.toContain('\n');
    expect(decodeRecordLine(line).ok).toBe(true);
  });
});

describe('readCapture on garbage files', () => {
  const header = `${JSON.stringify({ format: 'mongo-compat-capture', version: 1, tool: { name: 'x', version: '0' }, ...HEADER })}\n`;
  propTest.prop(
    [
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08]), b])),
        fc.array(fc.oneof(fc.string(), damagedLine), { maxLength: 5 }).map((ls) => gzipSync(header + ls.join('\n'))),
        fc.string().map((s) => gzipSync(s)),
      ),
    ],
    { numRuns: 150 },
  )('only CompatErrors escape, and only before any record', async (bytes) => {
    const file = tmp.path(`g${n++}.jsonl.gz`);
    writeFileSync(file, bytes);
    try {
      await readAll(file);
    } catch (err) {
      expect(err).toBeInstanceOf(CompatError);
    }
  });
});
