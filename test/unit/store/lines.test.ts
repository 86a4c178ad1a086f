import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../../harness/store/lines.ts';

/** Lines with multi-byte UTF-8 (2, 3 and 4 bytes), and no newline inside. */
const line = fc.string({ unit: fc.oneof(fc.constantFrom('a', '{', '"', 'é', '✓', '😀', '\u2028', '\r'), fc.string({ unit: 'grapheme', maxLength: 1 })), maxLength: 30 }).map((s) => s.replaceAll('\n', ''));

/** Cuts `bytes` at the given positions (any byte, also inside a UTF-8 sequence or a newline's neighbours). */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

function splitAll(chunks: Buffer[]): { lines: string[]; pending: number } {
  const s = new LineSplitter();
  const lines = chunks.flatMap((c) => s.push(c));
  return { lines, pending: s.pendingBytes };
}

describe('LineSplitter', () => {
  propTest.prop([fc.array(line, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 })], { numRuns: 1000 })(
    'gives back every line, whatever bytes the chunks are cut at',
    (lines, at) => {
      const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
      expect(splitAll(cut(bytes, at))).toEqual({ lines, pending: 0 });
    },
  );

  propTest.prop([fc.array(line, { maxLength: 6 }), line.filter((l) => l.length > 0), fc.array(fc.nat(), { maxLength: 10 })], { numRuns: 500 })(
    'keeps an unfinished last line pending, its bytes counted, never emitted',
    (lines, tail, at) => {
      const bytes = Buffer.from(`${lines.map((l) => `${l}\n`).join('')}${tail}`);
      expect(splitAll(cut(bytes, at))).toEqual({ lines, pending: Buffer.byteLength(tail) });
    },
  );

  propTest.prop([fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 10 })], { numRuns: 1000 })(
    'never throws on garbage bytes and decodes it as the whole buffer would (U+FFFD for invalid UTF-8)',
    (raw, at) => {
      const bytes = Buffer.from(raw);
      const { lines, pending } = splitAll(cut(bytes, at));
      const lastNl = bytes.lastIndexOf(0x0a);
      // Each line's own bytes, decoded on their own.
      const expected: string[] = [];
      for (let from = 0, nl = bytes.indexOf(0x0a); nl !== -1; from = nl + 1, nl = bytes.indexOf(0x0a, from)) expected.push(bytes.toString('utf8', from, nl));
      expect(lines).toEqual(expected);
      expect(pending).toBe(bytes.length - lastNl - 1);
      // Valid UTF-8 text: exactly the lines of the whole text.
      const text = bytes.toString('utf8');
      if (!text.includes('\ufffd') && lastNl !== -1) expect(lines).toEqual(text.slice(0, text.lastIndexOf('\n')).split('\n'));
    },
  );

  it('joins a line spread over many one-byte chunks, a 4-byte character among them', () => {
    const bytes = Buffer.from('{"a":"😀é"}\nnext\n');
    expect(splitAll([...bytes].map((b) => Buffer.from([b])))).toEqual({ lines: ['{"a":"😀é"}', 'next'], pending: 0 });
  });
});
