import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CompatError } from '../../../harness/errors.ts';
import { parseFormats, REPORT_FORMATS } from '../../../harness/report/registry.ts';

describe('parseFormats', () => {
  it('reads a comma list, with aliases, without duplicates', () => {
    expect(parseFormats('md, html,json,junit,md')).toEqual(['md', 'html', 'json', 'junit']);
    expect(parseFormats('markdown,xml')).toEqual(['md', 'junit']);
  });

  it('names an unknown format in a one-line usage error', () => {
    expect(() => parseFormats('md,pdf')).toThrow(/formats: pdf is an unknown format/);
  });

  test.prop([fc.string()])('returns known formats or throws only a CompatError, whatever the text', (text) => {
    try {
      const out = parseFormats(text);
      expect(out.length).toBeGreaterThan(0);
      for (const f of out) expect(REPORT_FORMATS).toContain(f);
    } catch (err) {
      expect(err).toBeInstanceOf(CompatError);
    }
  });
});
