import type { Command } from 'commander';
import type { ShardSpec } from '../replay/shard.ts';
import { UsageError } from '../errors.ts';
import { ReplayConfigSchema, ReportConfigSchema } from '../config/schema.ts';
import type { ReplayProgress } from '../replay/run.ts';
import { globalConfig, printVerdicts, resolveTargets, stopOnSigint } from './common.ts';
import { checkFlag, flagTable, read } from './options.ts';
import { EXIT_STATUS_HELP } from '../report/exit-status.ts';

/** Flags that are not config keys; the others are in REPLAY_FLAGS. */
type ReplayFlags = {
  capture: string[];
  out: string;
  shard?: string;
  progress?: boolean;
  report?: string;
  plans?: boolean;
};

/** The `replay:` section of the config file as flags. */
export const REPLAY_FLAGS = flagTable(ReplayConfigSchema, 'replay', {
  baseline: { flags: '--baseline <NAME=TARGET>', read: read.repeated, help: 'baseline target (repeatable; a name from the config targets works too)' },
  candidate: { flags: '--candidate <NAME=TARGET>', read: read.repeated, help: 'candidate target (repeatable)' },
  timing: { flags: '--timing <mode>', read: read.text, help: 'fast: as fast as the targets allow; recorded: keep the recorded gaps' },
  speed: { flags: '--speed <x>', read: read.number, help: 'recorded timing: speed factor (2 = twice as fast)' },
  concurrency: { flags: '--concurrency <n>', read: read.number, help: 'fast timing: connections replayed at once' },
  warmupPass: { flags: '--warmup-pass', read: read.present, help: 'replay the reads once, unmeasured, before the measured pass' },
  allowWrites: { flags: '--allow-writes', read: read.present, help: 'replay writes too (refused against the capture source)' },
  strictPreflight: { flags: '--strict-preflight', read: read.present, help: 'fail when the targets do not start with the same data' },
  mapDb: { flags: '--map-db <FROM=TO>', read: read.pairs, help: 'replay database FROM on database TO (repeatable; adds to the config file\'s mapDb)' },
  opTimeoutMs: { flags: '--op-timeout <ms>', read: read.number, help: 'per-operation timeout in milliseconds' },
  transport: { flags: '--transport <kind>', read: read.text, help: 'wire: own OP_MSG connections; driver: the mongodb driver; auto: wire where the target allows it' },
});

/** Plain progress lines (not a terminal) come this often. */
const PLAIN_PROGRESS_MS = 5_000;

export function defineReplay(program: Command): void {
  const command = program
    .command('replay')
    .description('replay captures against baseline and candidate targets at once, into a run directory')
    .requiredOption('--capture <file...>', 'capture files: parts and shards of one recording in order; separate recordings are merged by time')
    .requiredOption('-o, --out <dir>', 'run directory to write');
  REPLAY_FLAGS.addTo(command);
  command
    .option('--shard <I/N>', 'replay only the connections of shard I of N (stable hash)')
    .option('--no-progress', 'no progress display on stderr')
    .option('--report <formats>', 'also write the report into RUN_DIR/report, in these formats (as `report --format`)')
    .option('--plans', 'explain each read shape on every target at the end (as `mongo-compat plans`), before the report')
    .addHelpText(
      'after',
      `\nCompares the outcomes when the replay ends, prints the verdicts on stderr and a JSON summary on stdout.\nCtrl-C stops cleanly and leaves a valid partial run (status "interrupted").\n${EXIT_STATUS_HELP}`,
    )
    .action(async (opts: ReplayFlags, cmd: Command) => {
      const { config } = await globalConfig(cmd);
      const rc = REPLAY_FLAGS.over(config.replay, opts);
      const baselines = resolveTargets(rc.baseline, config);
      if (baselines.length === 0) throw new UsageError('--baseline: at least one baseline target is needed (or replay.baseline in the config file)');
      const candidates = resolveTargets(rc.candidate, config);
      // Checked before the replay starts: a typo should not cost a whole run.
      const reportFormats = opts.report === undefined ? undefined : checkFlag('--report', opts.report, read.list, ReportConfigSchema.shape.formats).join(',');
      let shard: ShardSpec | undefined;
      if (opts.shard !== undefined) {
        const { parseShard, shardProblem } = await import('../replay/shard.ts');
        const problem = shardProblem(opts.shard);
        if (problem) throw new UsageError(`--shard ${opts.shard}: ${problem}`);
        shard = parseShard(opts.shard);
      }
      const { replay } = await import('../replay/run.ts');
      const ac = stopOnSigint();
      const view = opts.progress === false ? undefined : await progressView();
      try {
        const { dir, run } = await replay({
          captures: opts.capture,
          baselines,
          candidates,
          out: opts.out,
          timing: rc.timing,
          speed: rc.speed,
          concurrency: rc.concurrency,
          opTimeoutMs: rc.opTimeoutMs,
          transport: rc.transport,
          warmupPass: rc.warmupPass,
          allowWrites: rc.allowWrites,
          strictPreflight: rc.strictPreflight,
          mapDb: rc.mapDb,
          ...(shard ? { shard } : {}),
          signal: ac.signal,
          log: (line) => {
            view?.pause();
            process.stderr.write(`${line}\n`);
          },
          ...(view ? { onProgress: view.update } : {}),
          ...(opts.plans
            ? {
                afterRun: async (runDir: string, uris: Readonly<Record<string, string>>) => {
                  const { explainRun } = await import('../plans/run-plans.ts');
                  const { file, result } = await explainRun(runDir, { config: config.plans, uris, log: (line) => process.stderr.write(`${line}\n`) });
                  process.stderr.write(`plans: ${result.shapes.length} shape(s) explained, ${file}\n`);
                },
              }
            : {}),
        });
        view?.stop();
        const c = run.counts;
        const skipped = Object.entries(c.skipped).map(([k, v]) => `${v} ${k}`);
        process.stderr.write(
          `replay ${run.status}: ${c.outcomes} operation(s), ${c.differences} with differing outcomes` +
            `${skipped.length ? `; skipped ${skipped.join(', ')}` : ''}` +
            `${run.scheduleLag ? `; schedule lag p99 ${(run.scheduleLag.p99Us / 1000).toFixed(2)} ms` : ''}\n`,
        );
        for (const n of run.notes) process.stderr.write(`note: ${n}\n`);
        // The verdicts and the CI exit bitmask come from the same report document as `mongo-compat report`.
        const { doc, verdicts } = await printVerdicts(dir, config, reportFormats);
        process.stdout.write(`${JSON.stringify({ run: dir, status: run.status, counts: run.counts, targets: run.targets, verdicts, exit: doc.exit.status })}\n`);
        process.exitCode = doc.exit.status;
      } finally {
        view?.stop();
        ac.release();
      }
    });
}

/** A progress bar on a terminal; a plain line every few seconds otherwise (CI logs). */
async function progressView(): Promise<{ update: (p: ReplayProgress) => void; pause: () => void; stop: () => void }> {
  const fmt = (p: ReplayProgress) => {
    const rate = p.elapsedMs > 0 ? Math.round((p.done * 1000) / p.elapsedMs) : 0;
    return { rate, line: `${p.phase} ${p.done}/${p.total} ops, ${rate} ops/s, ${p.errors} errors, ${p.differences} differences` };
  };
  if (!process.stderr.isTTY) {
    let last = 0;
    return {
      update: (p) => {
        const now = Date.now();
        if (now - last < PLAIN_PROGRESS_MS && p.phase !== 'done') return;
        last = now;
        process.stderr.write(`${fmt(p).line}\n`);
      },
      pause: () => undefined,
      stop: () => undefined,
    };
  }
  const { SingleBar, Presets } = (await import('cli-progress')).default;
  const bar = new SingleBar(
    { format: '{phase} [{bar}] {value}/{total} | {rate} ops/s | ETA {eta_formatted} | {errors} errors | {differences} differences', stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update: (p) => {
      const payload = { phase: p.phase, rate: fmt(p).rate, errors: p.errors, differences: p.differences };
      if (!started) {
        bar.start(p.total, p.done, payload);
        started = true;
      } else {
        bar.setTotal(p.total);
        bar.update(p.done, payload);
      }
    },
    pause: () => {
      if (started) {
        bar.stop();
        started = false;
      }
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
