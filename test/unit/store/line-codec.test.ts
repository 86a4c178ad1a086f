import { fc, test as propTest } from '@fast-check/vitest';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect } from 'vitest';
import { CompatError } from '../../../harness/errors.ts';
import { decodeRecordLine, encodeRecordLine } from '../../../harness/store/line-codec.ts';
import { isSchemaRecord, OperationRecordSchema } from '../../../harness/model/record.ts';
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

describe('the record check the reader takes before the schema (isSchemaRecord)', () => {
  const wire = fc.record(
    { requestId: fc.integer(), moreToCome: fc.boolean(), exhaustAllowed: fc.boolean(), compressor: fc.constantFrom('snappy', 'zlib', 'zstd', 'noop'), replies: fc.integer() },
    { requiredKeys: [] },
  );
  /** A record as a line reads back: canonical EJSON parsed and revived, before any schema. */
  const parsed = fc.tuple(operationRecord, fc.option(wire, { nil: undefined })).map(([rec, w]) => {
    const line = encodeRecordLine(w ? { ...rec, wire: w } : rec);
    const back = decodeRecordLine(line);
    if (!back.ok) throw new Error(back.message);
    return back.record as unknown as Record<string, unknown>;
  });
  const odd = fc.oneof(fc.jsonValue(), fc.constantFrom(undefined, -1, 1.5, 2 ** 60, '', 'OP_BOGUS', { _bsontype: 'Int32' }, [], { mode: 'full' }, { mode: 'digest', hash: 'ab', count: -1 }));
  const field = fc.constantFrom('seq', 't', 'dur', 'conn', 'client', 'app', 'db', 'coll', 'cmd', 'op', 'command', 'reply', 'replySize', 'error', 'wire', 'stats', 'notReplayable', 'extra', '__proto__');
  /** One change: a field removed, set to an odd value, or one inside reply, error, wire or stats. */
  const mutated = fc.tuple(parsed, field, odd, fc.constantFrom('remove', 'set', 'inner'), fc.string({ maxLength: 8 })).map(([rec, key, value, how, inner]) => {
    const out: Record<string, unknown> = { ...rec };
    if (how === 'remove') delete out[key];
    else if (how === 'set') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else if (out[key] !== null && typeof out[key] === 'object') out[key] = { ...(out[key] as object), [inner]: value };
    return out;
  });

  propTest.prop([parsed], { numRuns: 150 })('takes every record the writer writes, as the schema returns it', (rec) => {
    expect(isSchemaRecord(rec)).toBe(true);
    const schema = OperationRecordSchema.safeParse(rec);
    expect(schema.success).toBe(true);
    expect(schema.data).toEqual(rec);
  });

  propTest.prop([mutated], { numRuns: 600 })('never takes one the schema refuses, nor one it would return changed', (rec) => {
    if (!isSchemaRecord(rec)) return;
    const schema = OperationRecordSchema.safeParse(rec);
    expect(schema.success).toBe(true);
    expect(schema.data).toEqual(rec);
  });

  propTest.prop([fc.anything()], { numRuns: 300 })('never throws on anything', (v) => {
    expect(typeof isSchemaRecord(v)).toBe('boolean');
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
