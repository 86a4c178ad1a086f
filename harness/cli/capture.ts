import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import type { CaptureIssue } from '../store/reader.ts';

/** `mongo-compat capture info|split|merge`: tools over stored captures. */
export function defineCapture(program: Command): void {
  const capture = program.command('capture').description('inspect, split and merge capture files');

  capture
    .command('info')
    .description('time span, operations by app/command/database, top query shapes, replayable share, dropped and corrupt counts')
    .argument('<files...>', 'capture files (.jsonl.gz); rotated parts in order')
    .option('--json', 'print the summary as JSON on stdout')
    .option('--top <n>', 'query shapes to list', positiveInt, 10)
    .action(async (files: string[], opts: { json?: boolean; top: number }) => {
      const { summariseCapture } = await import('../store/info.ts');
      const { formatSummary } = await import('../store/summary.ts');
      const summary = await summariseCapture(files, { top: opts.top });
      if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else process.stderr.write(formatSummary(summary));
      if (summary.records === 0 && Object.keys(summary.issues).length > 0) {
        process.stderr.write('mongo-compat: no readable records in the capture\n');
        process.exitCode = 1;
      }
    });

  capture
    .command('split')
    .description('split a capture by connection into N shards for parallel replay jobs')
    .argument('<files...>', 'capture files (.jsonl.gz); rotated parts in order')
    .option('--by <key>', 'what keeps records together: connection', 'connection')
    .requiredOption('--shards <n>', 'number of shards', positiveInt)
    .requiredOption('--out <dir>', 'directory for the shard files')
    .action(async (files: string[], opts: { by: string; shards: number; out: string }) => {
      if (opts.by !== 'connection') throw new UsageError(`--by ${opts.by}: only "connection" is supported (operations of one connection must replay in order on one job)`);
      const { splitCapture } = await import('../store/split.ts');
      const result = await splitCapture(files, { shards: opts.shards, outDir: opts.out, onIssue: printIssue });
      result.files.forEach((f, i) => process.stderr.write(`${String(result.records[i] ?? '').padStart(9)}  ${f}\n`));
      process.stdout.write(`${result.files.join('\n')}\n`);
    });

  capture
    .command('merge')
    .description('merge shards (or separate captures) into one capture in global order, streaming')
    .argument('<files...>', 'capture files to merge')
    .requiredOption('--out <file>', 'merged capture file (.jsonl.gz)')
    .action(async (files: string[], opts: { out: string }) => {
      const { mergeCaptures } = await import('../store/merge.ts');
      const result = await mergeCaptures(files, { out: opts.out, onIssue: printIssue });
      process.stderr.write(`merged ${result.records} records from ${files.length} files (ordered by ${result.order === 'seq' ? 'original seq' : 'start time, renumbered'})\n`);
      process.stdout.write(`${result.file}\n`);
    });
}

function printIssue(i: CaptureIssue): void {
  process.stderr.write(`${i.file}:${i.line}: ${i.code}: ${i.message} (skipped)\n`);
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`expected a positive integer, got "${value}"`);
  return n;
}
