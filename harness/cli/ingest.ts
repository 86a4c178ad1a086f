import type { Command } from 'commander';
import { IngestConfigSchema } from '../config/schema.ts';
import { IngestTruncatedError, UsageError } from '../errors.ts';
import { globalConfig } from './common.ts';
import { flagTable, read } from './options.ts';

/** Flags that are not config keys; the others are in INGEST_FLAGS. */
type IngestFlags = {
  log?: string[];
  profile?: string;
  db?: string;
  since?: string;
  trafficRecording?: string;
  out: string;
};

/** The `ingest:` section of the config file as flags. */
export const INGEST_FLAGS = flagTable(IngestConfigSchema, 'ingest', {
  app: { flags: '--app <name>', read: read.text, help: 'label every operation with this app' },
  profileCollection: { flags: '--collection <name>', read: read.text, help: 'profiler collection (--profile)' },
});

/** Issues printed on stderr before "… and N more". */
const SHOWN_ISSUES = 20;

export function defineIngest(program: Command): void {
  const command = program
    .command('ingest')
    .description('turn mongod logs (4.2 text, 4.4+ JSON), system.profile or a traffic recording into a capture')
    .option('--log <file...>', 'mongod log files (plain or gzip), in order')
    .option('--profile <uri>', 'read the profiler collection of a server (with --db)')
    .option('--db <name>', 'database whose profiler to read (--profile)')
    .option('--since <time>', 'profiler entries after this ISO-8601 time only (--profile)')
    .option('--traffic-recording <path>', "a traffic recording: 4.2's single file, or a directory of <ms>.bin files")
    .requiredOption('-o, --out <file>', 'capture file to write (.jsonl.gz)');
  INGEST_FLAGS.addTo(command)
    .addHelpText(
      'after',
      '\nExactly one source: --log FILE..., --profile URI --db NAME [--since TIME], or --traffic-recording DIR|FILE.\nPrints a JSON summary on stdout; unreadable lines/packets are reported on stderr with file, line and reason.\nInput that ends early or is damaged (a cut gzip, a dead profiler cursor) keeps what was read, marks the\ncapture\'s footer and exits non-zero with MC_INGEST_TRUNCATED naming the file and offset.',
    )
    .action(async (opts: IngestFlags, cmd: Command) => {
      const { config } = await globalConfig(cmd);
      const ic = INGEST_FLAGS.over(config.ingest, opts);
      const sources = [opts.log, opts.profile, opts.trafficRecording].filter((s) => s !== undefined).length;
      if (sources !== 1) throw new UsageError('give exactly one of --log, --profile or --traffic-recording');
      let source: import('../capture/ingest/ingest.ts').IngestSource;
      if (opts.log) source = { kind: 'log', files: opts.log };
      else if (opts.profile) {
        if (!opts.db) throw new UsageError('--profile needs --db NAME (the database whose profiler to read)');
        let since: Date | undefined;
        if (opts.since !== undefined) {
          since = new Date(opts.since);
          if (Number.isNaN(since.getTime())) throw new UsageError(`--since ${opts.since}: not an ISO-8601 time`);
        }
        source = { kind: 'profile', uri: opts.profile, db: opts.db, collection: ic.profileCollection, ...(since ? { since } : {}) };
      } else source = { kind: 'traffic-recording', path: opts.trafficRecording! };

      const { runIngest } = await import('../capture/ingest/ingest.ts');
      let shown = 0;
      const result = await runIngest({
        source,
        out: opts.out,
        ...(ic.app ? { app: ic.app } : {}),
        onIssue: (i) => {
          if (shown++ < SHOWN_ISSUES) process.stderr.write(`${i.file}:${i.line}: ${i.code}${i.reason ? ` (${i.reason})` : ''}: ${i.message}\n`);
        },
      });
      if (shown > SHOWN_ISSUES) process.stderr.write(`… and ${shown - SHOWN_ISSUES} more unreadable\n`);
      const nr = Object.entries(result.notReplayable).map(([k, v]) => `${v} ${k}`);
      process.stderr.write(
        `ingested ${result.records} operation(s) from ${result.source} into ${result.files.join(', ')}` +
          `${nr.length ? `; not replayable: ${nr.join(', ')}` : ''}${result.issues ? `; ${result.issues} unreadable skipped` : ''}` +
          `${result.dropped ? `; ${result.dropped} DROPPED by the writer` : ''}\n`,
      );
      process.stdout.write(`${JSON.stringify(result)}\n`);
      if (result.dropped > 0) process.exitCode = 1;
      // Last, so the cut is the final line on stderr; the summary above says what was read.
      if (result.inputCut) throw new IngestTruncatedError(result.inputCut.input, result.inputCut.at, `${result.inputCut.reason}; the capture holds what came before`);
    });
}
