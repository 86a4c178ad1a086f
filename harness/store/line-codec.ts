import { z } from 'zod';
import { appendCanonical, quote, quoteKey } from './ejson-text.ts';
import { reviveCanonical } from './ejson-read.ts';
import { OperationRecordSchema, type OperationRecord } from './record.ts';

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
  const out: string[] = [];
  appendRecordLine(record, out);
  return out.join('');
}

/** Appends the pieces of the record's line (no newline) to `out`: the writer joins a whole batch at once. */
export function appendRecordLine(record: OperationRecord, out: string[]): void {
  out.push('{');
  let first = true;
  const rec = record as unknown as Record<string, unknown>;
  for (const key in rec) {
    const v = rec[key];
    if (v === undefined) continue;
    const prefix = first ? quoteKey(key) : `,${quoteKey(key)}`;
    if (key === 'command') {
      if (typeof v === 'function' || typeof v === 'symbol') continue;
      out.push(prefix);
      appendCanonical(v, out);
    } else if (key === 'reply' && record.reply?.mode === 'full') {
      out.push(prefix, '{"mode":"full"');
      // As JSON.stringify would: a doc that has no JSON form leaves no key behind.
      const at = out.length;
      out.push(',"doc":');
      if (!appendCanonical(record.reply.doc, out)) out.length = at;
      out.push('}');
    } else {
      const text = envelopeText(v);
      if (text === undefined) continue;
      out.push(prefix, text);
    }
    first = false;
  }
  out.push('}');
}

/** Envelope values are plain JSON: numbers, short strings, small objects (wire, error, stats). */
function envelopeText(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return quote(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return undefined;
    default:
      return JSON.stringify(v);
  }
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
