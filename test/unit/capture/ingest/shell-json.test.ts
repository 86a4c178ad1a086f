import { BSON } from 'mongodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseShellJson } from '../../../../harness/capture/ingest/shell-json.ts';
import { printShell, shellDocArb } from './shell-notation.ts';

function bytes(doc: unknown): Buffer {
  return Buffer.from(BSON.serialize(doc as BSON.Document));
}

describe('parseShellJson (4.2 log / shell notation)', () => {
  it('reads back any generated document printed in shell notation, type for type', () => {
    fc.assert(
      fc.property(shellDocArb, (doc) => {
        const text = printShell(doc);
        const r = parseShellJson(text);
        if (!r.ok) throw new Error(`${r.error} at ${r.at} in ${text}`);
        expect(r.truncated).toBe(false);
        expect(r.end).toBe(text.length);
        expect(bytes(r.value).equals(bytes(doc))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on garbage, and says where it stopped', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const r = parseShellJson(s);
        if (!r.ok) expect(r.at).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on printed documents that were cut or damaged', () => {
    fc.assert(
      fc.property(shellDocArb, fc.nat(), fc.string({ maxLength: 3 }), (doc, cut, junk) => {
        const text = printShell(doc);
        const at = cut % (text.length + 1);
        parseShellJson(text.slice(0, at));
        parseShellJson(text.slice(0, at) + junk + text.slice(at));
      }),
      { numRuns: 500 },
    );
  });

  it('survives hostile nesting without overflowing the stack', () => {
    const r = parseShellJson('['.repeat(100_000));
    expect(r.ok).toBe(false);
  });

  it('reads the server forms: bare numbers, 1.0 doubles, bare-hex BinData, UUID, regex, 3.x Timestamp', () => {
    const r = parseShellJson(
      '{ a: 1, b: 1.0, c: 7021195893055422468, d: BinData(0, 00FF), e: UUID("7151a1e1-15bf-4148-bd45-d0637c35da10"), f: /^a\\/b/i, g: Timestamp 1592301327|1, h: new Date(0) }',
    );
    expect(r.ok).toBe(true);
    const v = (r as { value: Record<string, unknown> }).value;
    expect(v.a).toBeInstanceOf(BSON.Int32);
    expect(v.b).toBeInstanceOf(BSON.Double);
    expect(String(v.c)).toBe('7021195893055422468');
    expect(v.c).toBeInstanceOf(BSON.Long);
    expect((v.d as BSON.Binary).value()).toEqual(Buffer.from([0, 255]));
    expect((v.e as BSON.Binary).sub_type).toBe(4);
    expect((v.f as BSON.BSONRegExp).options).toBe('i');
    expect((v.g as BSON.Timestamp).t).toBe(1592301327);
    expect((v.h as Date).getTime()).toBe(0);
  });

  it('skips elisions ({ … }, ...) and reports them as truncated', () => {
    const r = parseShellJson('{ q: { _id: 1 }, u: { … }, txnNumber: 3, … $db: "x", arr: [ 1, ... ] }');
    expect(r.ok && r.truncated).toBe(true);
    const v = (r as { value: Record<string, unknown> }).value;
    expect(Object.keys(v)).toEqual(['q', 'u', 'txnNumber', '$db', 'arr']);
    expect(v.$db).toBe('x');
  });
});
