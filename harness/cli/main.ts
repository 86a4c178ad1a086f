import { CommanderError } from 'commander';
import { CompatError, oneLine } from '../errors.ts';
import { buildProgram } from './program.ts';

/** Runs the program once: a CompatError becomes one `mongo-compat: CODE: message` line and exit status 1. */
async function main(argv: string[]): Promise<void> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message; help and version exit 0.
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`mongo-compat: ${oneLine(err)}\n`);
    if (!(err instanceof CompatError) && process.env.MONGO_COMPAT_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
