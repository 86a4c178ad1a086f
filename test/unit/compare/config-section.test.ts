import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../harness/config/load.ts';
import { ConfigError } from '../../../harness/errors.ts';

describe('compare config section', () => {
  it('has defaults that fail on result and error changes and warn on type and field order', () => {
    const c = parseConfigText('targets: {}\n', 'c.yaml').compare;
    expect(c.fail).toEqual(['new-error', 'result-differs', 'error-differs']);
    expect(c.warn).toContain('numeric-type-only');
    expect(c.latency).toEqual({ minSamples: 20, confidence: 0.99, minRatio: 1.1, warnRatio: 1.2, failRatio: null });
  });

  it('reads per-app and per-shape overrides', () => {
    const c = parseConfigText(
      ['compare:', '  ignorePaths: ["docs[].updatedAt"]', '  latency: { warnRatio: 1.3 }', '  apps:', '    reporting: { fail: [new-error] }', '  shapes:', '    0123456789ab: { volatileFields: [serverInfo] }', ''].join('\n'),
      'c.yaml',
    ).compare;
    expect(c.latency.warnRatio).toBe(1.3);
    expect(c.latency.minSamples).toBe(20);
    expect(c.apps.reporting).toEqual({ fail: ['new-error'], volatileFields: [], ignorePaths: [] });
    expect(c.shapes['0123456789ab']?.volatileFields).toEqual(['serverInfo']);
  });

  it('names the file, line and field of an unknown class', () => {
    expect(() => parseConfigText('compare:\n  fail: [result-differs, typo-class]\n', 'c.yaml')).toThrow(ConfigError);
    expect(() => parseConfigText('compare:\n  fail: [result-differs, typo-class]\n', 'c.yaml')).toThrow(/^c\.yaml:2:\d+ compare\.fail\.1: /);
  });
});
