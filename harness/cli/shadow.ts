import { join } from 'node:path';
import type { Command } from 'commander';
import { ReportConfigSchema, ShadowConfigSchema } from '../config/schema.ts';
import { durationMs } from '../config/duration.ts';
import { UsageError } from '../errors.ts';
import { EXIT_STATUS_HELP } from '../report/exit-status.ts';
import { globalConfig, printVerdicts, resolveTargets, splitHostPort } from './common.ts';
import { checkFlag, flagTable, read } from './options.ts';

/** The `shadow:` section of the config file as flags. */
export const SHADOW_FLAGS = flagTable(ShadowConfigSchema, 'shadow', {
  listen: { flags: '--listen <HOST:PORT>', read: read.text, help: 'where applications connect (as the proxy)' },
  upstream: { flags: '--upstream <URI>', read: read.text, help: 'connection string of production (its password is never stored or printed)' },
  baseline: { flags: '--baseline <NAME=TARGET>', read: read.repeated, help: "a clone of production's version the candidates are judged against (a second one teaches noise); without, production's own replies are the baseline" },
  candidate: { flags: '--candidate <NAME=TARGET>', read: read.repeated, help: 'candidate target (repeatable)' },
  out: { flags: '-o, --out <DIR>', read: read.text, help: 'run directory to write (a normal run: `report` renders it); default runs/shadow-<start time>' },
  sample: { flags: '--sample <F>', read: read.number, help: 'share of the traffic mirrored, 0 < F ≤ 1' },
  sampleBy: { flags: '--sample-by <unit>', read: read.text, help: 'connection: whole connections (cursors and sessions stay whole); operation: each operation drawn, getMores follow their cursor' },
  allowWrites: { flags: '--allow-writes', read: read.present, help: 'mirror writes too (refused when a target is production)' },
  record: { flags: '--record <FILE>', read: read.text, help: 'also write every operation to this capture file' },
  queue: { flags: '--queue <N>', read: read.number, help: 'operations waiting for the mirror at most (and at most a quarter of --max-lag of waiting); past it new ones are dropped and counted' },
  maxLagMs: { flags: '--max-lag <ms>', read: read.number, help: "skip a target for an operation whose production reply is this old when its turn comes" },
  opTimeoutMs: { flags: '--op-timeout <ms>', read: read.number, help: 'per-operation timeout on a mirrored target' },
  concurrency: { flags: '--concurrency <n>', read: read.number, help: 'connections mirrored at once' },
  minIdleCpu: { flags: '--min-idle-cpu <F>', read: read.number, help: "mirror only while the host keeps this share of its CPU idle, so the mirror never takes CPU the application needs (0: always)" },
  maxMirrorCpu: { flags: '--max-mirror-cpu <F>', read: read.number, help: 'share of one core the mirror may use at most, whatever the host (0: no cap)' },
  transport: { flags: '--transport <kind>', read: read.text, help: 'wire: own OP_MSG connections; driver: the mongodb driver; auto: wire where the target allows it' },
  status: { flags: '--status <HOST:PORT>', read: read.text, help: 'serve the live view there: a page at /, JSON at /status.json' },
  duration: { flags: '--duration <D>', read: read.text, help: 'end after this long (30s, 10m, 2h); without, run until Ctrl-C' },
  app: { flags: '--app <NAME>', read: read.text, help: "label every operation with this app instead of the client metadata's appName" },
  tlsCert: { flags: '--tls-cert <FILE>', read: read.text, help: 'terminate client TLS with this certificate (PEM)' },
  tlsKey: { flags: '--tls-key <FILE>', read: read.text, help: 'private key for --tls-cert (PEM)' },
  upstreamCa: { flags: '--upstream-ca <FILE>', read: read.text, help: 'CA file to verify the upstream TLS certificate (also turns TLS on)' },
});

export function defineShadow(program: Command): void {
  const command = program
    .command('shadow')
    .description("stand in front of production as the proxy does and mirror its reads to candidates live, compared as they happen");
  SHADOW_FLAGS.addTo(command);
  command
    .option('--report <formats>', 'also write the report into RUN_DIR/report at the end, in these formats (as `report --format`)')
    .addHelpText(
      'after',
      `\nThe application's path is the proxy's: bytes are forwarded first and nothing waits for the mirror.\nCtrl-C, SIGTERM or --duration ends it: operations in flight finish (what still waits is dropped, counted), the run directory is written,\nthe verdicts go to stderr and a JSON summary to stdout.\n${EXIT_STATUS_HELP}`,
    )
    .action(async (flags: Record<string, unknown> & { report?: string }, cmd: Command) => {
      const { config } = await globalConfig(cmd);
      const c = SHADOW_FLAGS.over(config.shadow, flags);
      if (!c.upstream) throw new UsageError('--upstream is required (or shadow.upstream in the config file)');
      const candidates = resolveTargets(c.candidate, config);
      if (candidates.length === 0) throw new UsageError('--candidate: at least one candidate target is needed (or shadow.candidate in the config file)');
      if (Boolean(c.tlsCert) !== Boolean(c.tlsKey)) throw new UsageError('--tls-cert and --tls-key go together');
      const reportFormats = flags.report === undefined ? undefined : checkFlag('--report', flags.report, read.list, ReportConfigSchema.shape.formats).join(',');
      // A run directory of its own per start, unless one is named.
      const out = c.out ?? join('runs', `shadow-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`);
      const [host, port] = splitHostPort(c.listen);
      const status = c.status !== undefined ? splitHostPort(c.status) : undefined;
      const { startShadow } = await import('../shadow/shadow.ts');
      const { readPem } = await import('./proxy-run.ts');
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const shadow = await startShadow({
        upstream: c.upstream,
        listen: { host, port },
        baselines: resolveTargets(c.baseline, config),
        candidates,
        out,
        sample: { rate: c.sample, by: c.sampleBy },
        allowWrites: c.allowWrites,
        ...(c.record !== undefined ? { record: c.record } : {}),
        queue: c.queue,
        maxLagMs: c.maxLagMs,
        opTimeoutMs: c.opTimeoutMs,
        concurrency: c.concurrency,
        transport: c.transport,
        minIdleCpu: c.minIdleCpu,
        maxMirrorCpu: c.maxMirrorCpu,
        ...(status ? { status: { host: status[0], port: status[1] } } : {}),
        compare: config.compare,
        proxy: {
          ...(c.app ? { app: c.app } : {}),
          ...(c.tlsCert && c.tlsKey ? { tls: { cert: readPem(c.tlsCert, '--tls-cert'), key: readPem(c.tlsKey, '--tls-key') } } : {}),
          ...(c.upstreamCa ? { upstreamTls: { ca: readPem(c.upstreamCa, '--upstream-ca') } } : {}),
          maxConnections: config.proxy.maxConnections,
          maxBufferedBytes: Math.round(config.proxy.maxBufferMb * 1024 * 1024),
          messageTimeoutMs: Math.round(config.proxy.messageTimeoutSec * 1000),
          statusIntervalMs: config.proxy.statusIntervalSec * 1000,
        },
        log,
      });
      // stdout: where to connect, for scripts.
      process.stdout.write(`${JSON.stringify({ listening: shadow.proxy.members.map((m) => m.address), upstream: shadow.proxy.upstream, ...(shadow.statusAddress ? { status: `http://${shadow.statusAddress}/` } : {}), out })}\n`);
      const why = await new Promise<string>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
        if (c.duration !== undefined) setTimeout(() => resolve(`--duration ${c.duration} reached`), durationMs(c.duration)!).unref();
      });
      log(`shadow: ${why}, finishing the mirrored operations in flight`);
      const { dir, run } = await shadow.stop();
      const s = run.shadow!;
      log(`shadow complete: ${s.seen} operation(s) seen, ${s.mirrored} mirrored, ${run.counts.outcomes} outcome(s), ${run.counts.differences} with differing outcomes`);
      for (const n of run.notes) log(`note: ${n}`);
      const { doc, verdicts } = await printVerdicts(dir, config, reportFormats);
      process.stdout.write(`${JSON.stringify({ run: dir, status: run.status, counts: run.counts, shadow: s, verdicts, exit: doc.exit.status })}\n`);
      process.exitCode = doc.exit.status;
    });
}
