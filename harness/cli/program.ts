import { Command } from 'commander';
import { defineBench } from './bench.ts';
import { defineCapture } from './capture.ts';
import { defineDemo } from './demo.ts';
import { defineDoctor } from './doctor.ts';
import { defineIngest } from './ingest.ts';
import { defineLint } from './lint.ts';
import { definePlans } from './plans.ts';
import { defineProxy } from './proxy.ts';
import { defineReport } from './report.ts';
import { defineRun } from './run.ts';
import { defineServer } from './server.ts';
import { defineReplay } from './replay.ts';
import { defineScenario } from './scenario.ts';
import { defineSuite } from './suite.ts';
import { defineShadow } from './shadow.ts';

/**
 * The command-line adapter: each subcommand parses flags, loads the config, calls a
 * stage that returns a result, prints it and sets process.exitCode. Stages are
 * imported lazily inside the actions so that `--help` stays fast. Apart from main.ts
 * (which runs it) so that tests can build the program and read its help.
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
  defineRun(program);
  defineProxy(program);
  defineIngest(program);
  defineCapture(program);
  defineLint(program);
  defineBench(program);
  defineReport(program);
  definePlans(program);
  defineDemo(program);
  defineScenario(program);
  defineSuite(program);
  defineShadow(program);
  return program;
}
