import { z } from 'zod';
import { ByteSink, scratchSink, writeCanonical, writeInteger, writeKey, writeString } from '../model/ejson/text.ts';
import { reviveCanonical } from '../model/ejson/read.ts';
import { canonicalTextOf } from '../model/prerendered.ts';
import { isSchemaRecord, OperationRecordSchema, type OperationRecord } from '../model/record.ts';

/**
 * One capture line <-> one OperationRecord. Pure: no I/O. The writer and reader wrap
 * these with gzip and files; `capture split/merge` use them to copy lines unchanged.
 */

/** Issue codes a reader reports for a line it skips (API: never rename one). */
export const LINE_ISSUES = Object.freeze({
  corrupt: 'MC_CAPTURE_CORRUPT_RECORD', // not JSON, or a malformed EJSON wrapper
  invalid: 'MC_CAPTURE_INVALID_RECORD', // JSON, but not a record by the schema
  truncated: 'MC_CAPTURE_TRUNCATED', // the file ends inside a record (crash, copy cut short)
  gzip: 'MC_CAPTURE_GZIP', // the compressed stream is damaged; the rest of the file is lost
} as const);

export type LineDecode =
  | { readonly ok: true; readonly record: OperationRecord }
  | { readonly ok: false; readonly code: string; readonly message: string };

/**
 * The record as one canonical-EJSON line, without the newline: the envelope as plain
 * JSON (so `seq`, `t`, `dur` stay numbers a person or jq can read), the BSON documents
 * (command, reply.doc) as canonical EJSON. Built as text in one walk (ejson-text.ts):
 * the same characters as `JSON.stringify({...record, command: toCanonical(…), …})`,
 * keys in the record's own order, without the intermediate tree (bench/store).
 */
export function encodeRecordLine(record: OperationRecord): string {
  const sink = scratchSink();
  writeRecordLine(record, sink);
  return sink.take();
}

/** Text a capture rendered when it read the bytes (model/prerendered.ts), copied as it is (TypedArray#set: Buffer#copy's own checks cost more). */
function copyText(text: Buffer, out: ByteSink): void {
  out.ensure(text.length);
  out.buf.set(text, out.pos);
  out.pos += text.length;
}

/** Writes the record's line (no newline) as UTF-8 at `out.pos`: the writer encodes straight into its batch. */
export function writeRecordLine(record: OperationRecord, out: ByteSink): void {
  out.byte(0x7b /* { */);
  let first = true;
  const rec = record as unknown as Record<string, unknown>;
  for (const key in rec) {
    const v = rec[key];
    if (v === undefined) continue;
    if (key === 'command') {
      if (typeof v === 'function' || typeof v === 'symbol') continue;
      if (!first) out.byte(0x2c /* , */);
      writeKey(key, out);
      const text = typeof v === 'object' && v !== null ? canonicalTextOf(v) : undefined;
      if (text !== undefined) copyText(text, out);
      else writeCanonical(v, out);
    } else if (key === 'reply' && record.reply?.mode === 'full') {
      if (!first) out.byte(0x2c /* , */);
      writeKey(key, out);
      out.ascii('{"mode":"full"');
      // As JSON.stringify would: a doc that has no JSON form leaves no key behind.
      const at = out.pos;
      out.ascii(',"doc":');
      // A reply the capture rendered as text when it read it (model/prerendered.ts) is copied as it is.
      const text = canonicalTextOf(record.reply);
      if (text !== undefined) copyText(text, out);
      else if (!writeCanonical(record.reply.doc, out)) out.pos = at;
      out.byte(0x7d /* } */);
    } else {
      // Envelope values are plain JSON: numbers, short strings, small objects (wire, error, stats).
      switch (typeof v) {
        case 'string':
          if (!first) out.byte(0x2c /* , */);
          writeKey(key, out);
          writeString(v, out);
          break;
        case 'number':
          if (!first) out.byte(0x2c /* , */);
          writeKey(key, out);
          if (Number.isSafeInteger(v)) writeInteger(v, out);
          else out.ascii(Number.isFinite(v) ? String(v) : 'null');
          break;
        case 'boolean':
          if (!first) out.byte(0x2c /* , */);
          writeKey(key, out);
          out.ascii(v ? 'true' : 'false');
          break;
        default: {
          const text = JSON.stringify(v);
          if (text === undefined) continue;
          if (!first) out.byte(0x2c /* , */);
          writeKey(key, out);
          out.utf8(text);
        }
      }
    }
    first = false;
  }
  out.byte(0x7d /* } */);
}

/**
 * Parses and validates one line. Never throws: a bad line comes back as a typed
 * failure naming the offending field, so the reader can report it and go on.
 */
export function decodeRecordLine(line: string): LineDecode {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
    if (raw !== null && typeof raw === 'object') {
      const rec = raw as { command?: unknown; reply?: { doc?: unknown } };
      if (rec.command !== null && typeof rec.command === 'object') rec.command = reviveCanonical(rec.command);
      const reply = rec.reply;
      if (reply !== null && typeof reply === 'object' && reply.doc !== null && typeof reply.doc === 'object') reply.doc = reviveCanonical(reply.doc);
    }
  } catch (err) {
    return { ok: false, code: LINE_ISSUES.corrupt, message: `not canonical Extended JSON (${(err as Error).message})` };
  }
  // Most lines: checked by hand, the record kept as parsed; the schema (a copy) for the rest, and for the message.
  if (isSchemaRecord(raw)) return { ok: true, record: raw };
  const parsed = OperationRecordSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, code: LINE_ISSUES.invalid, message: describeIssue(parsed.error) };
  return { ok: true, record: parsed.data };
}

/** The first schema issue as `field.path: message`, one line. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid record';
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(record)';
  return `${path}: ${issue.message}`;
}
