import { CompatError } from '../errors.ts';

/** The suite cannot run or keep its history: no apps, no baseline, an app whose captures match nothing, an unwritable history. */
export class SuiteError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_SUITE', message, options);
  }
}
