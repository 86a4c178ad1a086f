import type { Command } from 'commander';

/** `mongo-compat run merge`: tools over replay run directories, as `capture` is over capture files. */
export function defineRun(program: Command): void {
  const run = program.command('run').description('tools over replay run directories');
  defineMerge(run.command('merge'));
  // The name before the `run` group, kept so that existing CI scripts keep working.
  defineMerge(program.command('merge', { hidden: true }), () => process.stderr.write('mongo-compat: `merge` is now `run merge`\n'));
}

function defineMerge(cmd: Command, notice?: () => void): void {
  cmd
    .description('merge shard runs (replay --shard I/N) into one run directory')
    .argument('<run-dir...>', 'run directories to merge')
    .requiredOption('-o, --out <dir>', 'merged run directory to write')
    .action(async (dirs: string[], opts: { out: string }) => {
      notice?.();
      const { mergeRuns } = await import('../model/run/merge.ts');
      const run = await mergeRuns(dirs, opts.out);
      process.stderr.write(`merged ${dirs.length} run(s): ${run.counts.outcomes} operation(s) into ${opts.out}\n`);
      process.stdout.write(`${JSON.stringify({ run: opts.out, status: run.status, counts: run.counts })}\n`);
    });
}
