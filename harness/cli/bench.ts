import { Option, type Command } from 'commander';
import { collectTargets, globalConfig } from './common.ts';
import { collect } from './doctor.ts';

interface ContentionCliOptions {
  target: string[];
  out: string;
  json?: boolean;
  workers?: string;
  clients?: string;
  duration?: string;
  warmup?: string;
  workload?: string;
  indexes?: string;
  seed?: string;
  jobs?: string;
  keys?: string;
  brokenWorker?: boolean;
}

export function defineBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks against real servers');
  bench
    .command('contention')
    .description('findAndModify contention sweep (queue, hot counters, locks) across targets, side by side')
    .option('-t, --target <NAME=TARGET>', 'target to measure (repeatable; two or more are compared side by side)', collect, [])
    .option('--workers <list>', 'worker counts to sweep, e.g. 1,2,4,8,16,32,64,128')
    .option('--clients <n>', 'spread the workers over N separate MongoClients (pools), like N batch servers')
    .option('--duration <time>', 'measured window per step, e.g. 30s')
    .option('--warmup <time>', 'warm-up per step before the window, e.g. 5s')
    .option('--workload <name>', 'queue | hot-counter | lock')
    .option('--indexes <on|off>', 'queue: index covering filter and sort')
    .option('--seed <n>', 'seed of the generated data and key picks')
    .option('--jobs <n>', 'queue: pending jobs seeded per step')
    .option('--keys <n>', 'hot-counter / lock: number of hot documents')
    .requiredOption('-o, --out <dir>', 'directory for contention.json, contention.md, contention.html')
    .option('--json', 'print the whole result JSON on stdout instead of the file paths')
    .addOption(new Option('--broken-worker', 'claim without the atomic filter (proves the invariant check)').hideHelp())
    .action(async (opts: ContentionCliOptions, cmd: Command) => {
      const { runContentionCli } = await import('../contention/cli-run.ts');
      const { config } = await globalConfig(cmd);
      const targets = collectTargets(opts.target, config.targets);
      const outcome = await runContentionCli({ ...opts, targets, config, log: (line) => process.stderr.write(`${line}\n`) });
      process.stdout.write(opts.json ? `${JSON.stringify(outcome.result)}\n` : `${JSON.stringify(outcome.files)}\n`);
      // Output is written first so the evidence exists; then the run fails loudly.
      if (outcome.failure) throw outcome.failure;
    });
}
