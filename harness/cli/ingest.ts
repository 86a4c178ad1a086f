import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { RedactionOptions } from '../capture/proxy/index.ts';
import { IngestConfigSchema, type Config } from '../config/schema.ts';
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
  pcap?: string;
  port?: number[];
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
    .option('--pcap <file>', 'a packet capture (tcpdump pcap or pcapng), or - to read one from standard input')
    .option('--port <n>', 'a server port besides 27017 (--pcap; repeatable)', collectPort)
    .requiredOption('-o, --out <file>', 'capture file to write (.jsonl.gz)');
  INGEST_FLAGS.addTo(command)
    .addHelpText(
      'after',
      '\nExactly one source: --log FILE..., --profile URI --db NAME [--since TIME], --traffic-recording DIR|FILE,\nor --pcap FILE|- [--port N]... (redaction and reply mode as the proxy\'s config section sets them).\nPrints a JSON summary on stdout; unreadable lines/packets are reported on stderr with file, line and reason.\nInput that ends early or is damaged (a cut gzip, a dead profiler cursor) keeps what was read, marks the\ncapture\'s footer and exits non-zero with MC_INGEST_TRUNCATED naming the file and offset.',
    )
    .action(async (opts: IngestFlags, cmd: Command) => {
      const { config } = await globalConfig(cmd);
      const ic = INGEST_FLAGS.over(config.ingest, opts);
      const sources = [opts.log, opts.profile, opts.trafficRecording, opts.pcap].filter((s) => s !== undefined).length;
      if (sources !== 1) throw new UsageError('give exactly one of --log, --profile, --traffic-recording or --pcap');
      if (opts.port !== undefined && opts.pcap === undefined) throw new UsageError('--port goes with --pcap');
      if (opts.pcap !== undefined) {
        await ingestPcap(opts.pcap, opts, ic.app, config.proxy);
        return;
      }
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

function collectPort(text: string, previous: number[] | undefined): number[] {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--port ${text}: expected a TCP port, 1-65535`);
  return [...(previous ?? []), n];
}

/**
 * `--pcap`: a packet capture, its records decoded as the proxy decodes them and redacted
 * by the proxy's settings (`proxy.maskStrings`, `proxy.redactPaths`, `proxy.reply`).
 * Ctrl-C on a live stream (`--pcap -`) stops reading and writes what was read.
 */
async function ingestPcap(input: string, opts: IngestFlags, app: string | undefined, proxy: Config['proxy']): Promise<void> {
  if (proxy.maskStrings && proxy.redactPaths.length > 0) throw new UsageError('proxy.maskStrings and proxy.redactPaths exclude each other');
  let redaction: RedactionOptions = { mode: 'none' };
  if (proxy.maskStrings) redaction = { mode: 'mask-strings' };
  else if (proxy.redactPaths.length > 0) {
    // As the proxy: without a configured key, a random one (equal values stay equal within this capture).
    redaction = { mode: 'hash-paths', paths: proxy.redactPaths, key: process.env[proxy.redactKeyEnv] ?? randomBytes(32).toString('hex') };
  }
  const { runPcapIngest } = await import('../capture/pcap/ingest-pcap.ts');
  const stop = new AbortController();
  const onSigint = (): void => stop.abort();
  process.once('SIGINT', onSigint);
  let shown = 0;
  let result: Awaited<ReturnType<typeof runPcapIngest>>;
  try {
    result = await runPcapIngest({
      input,
      out: opts.out,
      ports: opts.port ?? [],
      replyMode: proxy.reply,
      redaction,
      signal: stop.signal,
      ...(app ? { app } : {}),
      onIssue: (i) => {
        if (shown++ < SHOWN_ISSUES) process.stderr.write(`${i.file}: packet ${i.line}: ${i.code}: ${i.message}\n`);
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (shown > SHOWN_ISSUES) process.stderr.write(`… and ${shown - SHOWN_ISSUES} more issues\n`);
  const q = result.quality;
  process.stderr.write(
    `ingested ${result.records} operation(s) from ${q.packets} packet(s), ${q.connections} connection(s) into ${result.files.join(', ')}` +
      `; ${q.pairs} paired, ${q.unpairedRequests} request(s) and ${q.unpairedReplies} reply(ies) unpaired` +
      `${q.gaps ? `; ${q.gaps} gap(s), ${q.lostBytes} byte(s) and at least ${q.messagesLost} message(s) lost` : ''}` +
      `${q.otherProtocolPackets ? `; ${q.otherProtocolPackets} packet(s) of other protocols skipped` : ''}` +
      `${result.interrupted ? '; stopped by Ctrl-C' : ''}${result.dropped ? `; ${result.dropped} DROPPED by the writer` : ''}\n`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (result.dropped > 0) process.exitCode = 1;
  if (result.inputCut) throw new IngestTruncatedError(result.inputCut.input, result.inputCut.at, `${result.inputCut.reason}; the capture holds what came before`);
}
