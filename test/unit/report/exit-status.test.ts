import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { EXIT_BITS, exitStatus } from '../../../harness/report/exit-status.ts';

const level = fc.constantFrom('pass' as const, 'warn' as const, 'fail' as const);

describe('exitStatus', () => {
  it('is 0 for a complete run where everything passed', () => {
    expect(exitStatus({ errors: [], verdicts: ['pass', 'pass'], cut: false })).toEqual({ status: 0, reasons: [] });
  });

  it('adds the bits: errors 1, warn 2, fail 4, cut 8', () => {
    expect(exitStatus({ errors: ['target down'], verdicts: ['warn', 'fail'], cut: true }).status).toBe(15);
    expect(exitStatus({ errors: [], verdicts: ['warn'], cut: false }).status).toBe(EXIT_BITS.WARN);
    expect(exitStatus({ errors: [], verdicts: ['fail', 'pass'], cut: false }).status).toBe(EXIT_BITS.FAIL);
  });

  test.prop([fc.array(fc.string(), { maxLength: 3 }), fc.array(level, { maxLength: 8 }), fc.boolean()])('each bit is set exactly when its fact holds, with one reason per bit', (errors, verdicts, cut) => {
    const { status, reasons } = exitStatus({ errors, verdicts, cut });
    expect(status & 1).toBe(errors.length > 0 ? 1 : 0);
    expect(status & 2).toBe(verdicts.includes('warn') ? 2 : 0);
    expect(status & 4).toBe(verdicts.includes('fail') ? 4 : 0);
    expect(status & 8).toBe(cut ? 8 : 0);
    expect(status).toBeLessThan(16);
    expect(reasons.length).toBe([1, 2, 4, 8].filter((b) => status & b).length);
  });
});
