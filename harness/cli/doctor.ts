import type { Command } from 'commander';
import { collectTargets, globalConfig } from './common.ts';

export function defineDoctor(program: Command): void {
  program
    .command('doctor')
    .description('say which target kinds can run on this machine, why not, and which versions they give')
    .option('-t, --target <NAME=TARGET>', 'also check that this target answers (repeatable)', collect, [])
    .option('--json', 'print the findings as JSON on stdout')
    .action(async (opts: { target: string[]; json?: boolean }, cmd: Command) => {
      const { runDoctor, formatDoctor } = await import('../targets/doctor.ts');
      const { config } = await globalConfig(cmd);
      const targets = collectTargets(opts.target, config.targets);
      const report = await runDoctor(targets);
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stderr.write(formatDoctor(report));
      // Kinds that cannot run here are information, not failure; a target the user named that fails is.
      if (report.targets.some((t) => !t.ok)) process.exitCode = 1;
    });
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
