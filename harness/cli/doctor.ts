import type { Command } from 'commander';
import { collectTargets, globalConfig } from './common.ts';

export function defineDoctor(program: Command): void {
  program
    .command('doctor')
    .description('say which target kinds can run on this machine, why not, and which versions they give')
    .option('-t, --target <NAME=TARGET>', 'also check that this target answers (repeatable)', collect, [])
    .option('--json', 'print the findings as JSON on stdout')
    .option('--pg-bin <DIR>', 'look for PostgreSQL server binaries (initdb, postgres) for ferretdb-pg here (same as MONGO_COMPAT_PG_BIN)')
    .action(async (opts: { target: string[]; json?: boolean; pgBin?: string }, cmd: Command) => {
      // The ferretdb-pg kind reads its binaries' directory from the environment, for doctor and every start.
      if (opts.pgBin) process.env.MONGO_COMPAT_PG_BIN = opts.pgBin;
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
