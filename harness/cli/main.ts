import { Command, CommanderError } from 'commander';
import { CompatError, oneLine } from '../errors.ts';
import { defineBench } from './bench.ts';
import { defineCapture } from './capture.ts';
import { defineDemo } from './demo.ts';
import { defineDoctor } from './doctor.ts';
import { defineIngest } from './ingest.ts';
import { defineProxy } from './proxy.ts';
import { defineReport } from './report.ts';
import { defineServer } from './server.ts';
import { defineReplay } from './replay.ts';

/**
 * The command-line adapter: each subcommand parses flags, loads the config, calls a
 * stage that returns a result, prints it and sets process.exitCode. Stages are
 * imported lazily inside the actions so that `--help` stays fast.
 */
export function buildProgram(): Command {
  const program = new Command('mongo-compat')
    .description('Record MongoDB traffic, replay it against other server versions, compare, report.')
    .option('-c, --config <file>', 'config file (default: ./mongo-compat.config.yaml when present)')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  defineDoctor(program);
  defineServer(program);
  defineReplay(program);
  defineProxy(program);
  defineIngest(program);
  defineCapture(program);
  defineBench(program);
  defineReport(program);
  defineDemo(program);
  return program;
}

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
