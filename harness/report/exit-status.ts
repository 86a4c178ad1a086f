import type { VerdictLevel } from '../compare/types.ts';

/**
 * The exit status of `report` (and `replay`) for CI, a bitmask in the manner of
 * pt-upgrade, so one number says everything that went wrong at once:
 *
 *   1  errors running: the run failed, a target went down, or run lines were unreadable
 *   2  at least one app × candidate verdict is `warn`
 *   4  at least one app × candidate verdict is `fail`
 *   8  a time limit (or an interruption) cut the run short
 *
 * 0 means every verdict passed on a complete, error-free run. Pure: the caller
 * gathers the facts.
 */
export const EXIT_BITS = Object.freeze({ ERRORS: 1, WARN: 2, FAIL: 4, TIME_LIMIT: 8 } as const);

export interface ExitFacts {
  readonly errors: readonly string[];
  readonly verdicts: readonly VerdictLevel[];
  /** The run stopped before the end of its captures (time limit or interruption). */
  readonly cut: boolean;
}

export function exitStatus(facts: ExitFacts): { status: number; reasons: string[] } {
  let status = 0;
  const reasons: string[] = [];
  if (facts.errors.length > 0) {
    status |= EXIT_BITS.ERRORS;
    reasons.push(`1: errors running (${facts.errors.length}): ${facts.errors[0]}`);
  }
  const warns = facts.verdicts.filter((v) => v === 'warn').length;
  const fails = facts.verdicts.filter((v) => v === 'fail').length;
  if (warns > 0) {
    status |= EXIT_BITS.WARN;
    reasons.push(`2: ${warns} warn verdict${warns === 1 ? '' : 's'}`);
  }
  if (fails > 0) {
    status |= EXIT_BITS.FAIL;
    reasons.push(`4: ${fails} fail verdict${fails === 1 ? '' : 's'}`);
  }
  if (facts.cut) {
    status |= EXIT_BITS.TIME_LIMIT;
    reasons.push('8: the run was cut short before the end of its captures');
  }
  return { status, reasons };
}

/**
 * The exit status again after verdicts changed (a later section, such as plans, added
 * reasons): bits 2 and 4 and their lines from the new verdicts, bits 1 and 8 and their
 * lines kept.
 */
export function withVerdicts(exit: { status: number; reasons: readonly string[] }, verdicts: readonly VerdictLevel[]): { status: number; reasons: string[] } {
  const kept = exit.reasons.filter((r) => !r.startsWith('2: ') && !r.startsWith('4: '));
  const fresh = exitStatus({ errors: [], verdicts, cut: false });
  const status = (exit.status & (EXIT_BITS.ERRORS | EXIT_BITS.TIME_LIMIT)) | fresh.status;
  const errors = kept.filter((r) => r.startsWith('1: '));
  return { status, reasons: [...errors, ...fresh.reasons, ...kept.filter((r) => !r.startsWith('1: '))] };
}

/** The text `--help` shows (shared by report and replay). */
export const EXIT_STATUS_HELP = `
Exit status (a bitmask; add the bits):
  0  every verdict passed on a complete run
  1  errors running (run failed, a target went down, unreadable run lines)
  2  at least one warn verdict
  4  at least one fail verdict
  8  a time limit or an interruption cut the run short`;
