import { CompatError } from '../../harness/errors.ts';

/** A scenario cannot run: unknown name, bad scale or count, no TLS tooling, a target that refused the seed. */
export class ScenarioError extends CompatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MC_SCENARIO', message, options);
  }
}
