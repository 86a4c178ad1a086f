import type { Command } from 'commander';
import { BenchContentionConfigSchema } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import { collectTargets, globalConfig } from './common.ts';
import { collect } from './doctor.ts';
import { flagTable, read } from './options.ts';

/** Flags that are not config keys; the others are in BENCH_CONTENTION_FLAGS. */
type ContentionCliOptions = {
  target: string[];
  out: string;
  json?: boolean;
  transport: string;
};

/** The `bench.contention:` section of the config file as flags. */
export const BENCH_CONTENTION_FLAGS = flagTable(BenchContentionConfigSchema, 'bench.contention', {
  workers: { flags: '--workers <list>', read: read.numbers, help: 'worker counts to sweep, comma-separated' },
  clients: { flags: '--clients <n>', read: read.number, help: 'spread the workers over N separate MongoClients (pools), like N batch servers' },
  duration: { flags: '--duration <time>', read: read.text, help: 'measured window per step (30s, 500ms, 2m)' },
  warmup: { flags: '--warmup <time>', read: read.text, help: 'warm-up per step before the window' },
  workload: { flags: '--workload <name>', read: read.text, help: 'what the workers contend on' },
  indexes: { flags: '--indexes <on|off>', read: read.onOff, help: 'queue: index covering filter and sort' },
  seed: { flags: '--seed <n>', read: read.number, help: 'seed of the generated data and key picks' },
  jobs: { flags: '--jobs <n>', read: read.number, help: 'queue: pending jobs seeded per step' },
  keys: { flags: '--keys <n>', read: read.number, help: 'hot-counter / lock: number of hot documents' },
});

export function defineBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks against real servers');
  const contention = bench
    .command('contention')
    .description('findAndModify contention sweep (queue, hot counters, locks) across targets, side by side')
    .option('-t, --target <NAME=TARGET>', 'target to measure (repeatable; two or more are compared side by side)', collect, []);
  BENCH_CONTENTION_FLAGS.addTo(contention)
    .requiredOption('-o, --out <dir>', 'directory for contention.json, contention.md, contention.html')
    .option('--json', 'print the whole result JSON on stdout instead of the file paths')
    .option(
      '--transport <wire|driver>',
      "how workers reach the server: 'wire' (lean OP_MSG sockets; targets with credentials, TLS or several hosts fall back to the driver) or 'driver' (the mongodb driver)",
      'wire',
    )
    .action(async (opts: ContentionCliOptions, cmd: Command) => {
      const { TRANSPORTS } = await import('../contention/transport.ts');
      const transport = TRANSPORTS.find((t) => t === opts.transport);
      if (!transport) throw new UsageError(`bench contention: --transport ${opts.transport}: expected ${TRANSPORTS.join(' or ')}`);
      const { config } = await globalConfig(cmd);
      const section = BENCH_CONTENTION_FLAGS.over(config.bench.contention, opts);
      const targets = collectTargets(opts.target, config.targets);
      if (targets.length === 0) throw new UsageError('bench contention: give at least one --target NAME=TARGET (or targets in the config file)');
      const { contentionSettings } = await import('../contention/settings.ts');
      const { runContentionCli } = await import('../contention/cli-run.ts');
      const outcome = await runContentionCli({ targets, out: opts.out, settings: contentionSettings(section, transport), log: (line) => process.stderr.write(`${line}\n`) });
      const { writeContentionReport } = await import('../report/write.ts');
      await writeContentionReport(outcome.result, outcome.files);
      process.stdout.write(opts.json ? `${JSON.stringify(outcome.result)}\n` : `${JSON.stringify(outcome.files)}\n`);
      // Output is written first so the evidence exists; then the run fails loudly.
      if (outcome.failure) throw outcome.failure;
    });
}
