import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import type { Config } from '../config/schema.ts';
import type { ReplayProgress } from '../replay/run.ts';
import { globalConfig } from './common.ts';
import { collect } from './doctor.ts';
import { EXIT_STATUS_HELP } from '../report/exit-status.ts';

interface ReplayFlags {
  capture: string[];
  baseline: string[];
  candidate: string[];
  out: string;
  timing?: string;
  speed?: string;
  concurrency?: string;
  warmupPass?: boolean;
  allowWrites?: boolean;
  strictPreflight?: boolean;
  mapDb: string[];
  shard?: string;
  opTimeout?: string;
  transport?: string;
  progress?: boolean;
  report?: string;
}

/** Plain progress lines (not a terminal) come this often. */
const PLAIN_PROGRESS_MS = 5_000;

export function defineReplay(program: Command): void {
  program
    .command('replay')
    .description('replay captures against baseline and candidate targets at once, into a run directory')
    .requiredOption('--capture <file...>', 'capture files (rotated parts and shards in order)')
    .option('--baseline <NAME=TARGET>', 'baseline target (repeatable; a name from the config targets works too)', collect, [])
    .option('--candidate <NAME=TARGET>', 'candidate target (repeatable)', collect, [])
    .requiredOption('-o, --out <dir>', 'run directory to write')
    .option('--timing <mode>', 'fast (as fast as targets allow) or recorded (keep recorded gaps)')
    .option('--speed <x>', 'recorded timing: speed factor (2 = twice as fast)')
    .option('--concurrency <n>', 'fast timing: connections replayed at once')
    .option('--warmup-pass', 'replay the reads once, unmeasured, before the measured pass')
    .option('--allow-writes', 'replay writes too (refused against the capture source)')
    .option('--strict-preflight', 'fail when the targets do not start with the same data')
    .option('--map-db <FROM=TO>', 'replay database FROM on database TO (repeatable)', collect, [])
    .option('--shard <I/N>', 'replay only the connections of shard I of N (stable hash)')
    .option('--op-timeout <ms>', 'per-operation timeout in milliseconds')
    .option('--transport <kind>', 'auto (default), wire (own OP_MSG connections) or driver (the mongodb driver)')
    .option('--no-progress', 'no progress display on stderr')
    .option('--report <formats>', 'also write the report (md,html,json,junit) into RUN_DIR/report')
    .addHelpText(
      'after',
      `\nCompares the outcomes when the replay ends, prints the verdicts on stderr and a JSON summary on stdout.\nCtrl-C stops cleanly and leaves a valid partial run (status "interrupted").\n${EXIT_STATUS_HELP}`,
    )
    .action(async (opts: ReplayFlags, cmd: Command) => {
      const { config } = await globalConfig(cmd);
      const rc = config.replay;
      const timing = opts.timing ?? rc.timing;
      if (timing !== 'fast' && timing !== 'recorded') throw new UsageError(`--timing ${timing}: expected fast or recorded`);
      const transport = opts.transport ?? rc.transport;
      if (transport !== 'auto' && transport !== 'wire' && transport !== 'driver') throw new UsageError(`--transport ${transport}: expected auto, wire or driver`);
      const baselines = resolveTargets(opts.baseline.length ? opts.baseline : rc.baseline, config);
      const candidates = resolveTargets(opts.candidate.length ? opts.candidate : rc.candidate, config);
      const mapDb = [...Object.entries(rc.mapDb).map(([a, b]) => `${a}=${b}`), ...opts.mapDb];
      const { replay } = await import('../replay/run.ts');
      const ac = new AbortController();
      const onSigint = () => {
        if (ac.signal.aborted) process.exit(130);
        process.stderr.write('\nstopping: finishing operations in flight (Ctrl-C again to quit at once)\n');
        ac.abort();
      };
      process.on('SIGINT', onSigint);
      const view = opts.progress === false ? undefined : await progressView();
      try {
        const { dir, run } = await replay({
          captures: opts.capture,
          baselines,
          candidates,
          out: opts.out,
          timing,
          speed: number('--speed', opts.speed, rc.speed),
          concurrency: number('--concurrency', opts.concurrency, rc.concurrency),
          opTimeoutMs: number('--op-timeout', opts.opTimeout, rc.opTimeoutMs),
          transport,
          warmupPass: opts.warmupPass ?? rc.warmupPass,
          allowWrites: opts.allowWrites ?? rc.allowWrites,
          strictPreflight: opts.strictPreflight ?? rc.strictPreflight,
          mapDb,
          ...(opts.shard ? { shard: opts.shard } : {}),
          signal: ac.signal,
          log: (line) => {
            view?.pause();
            process.stderr.write(`${line}\n`);
          },
          ...(view ? { onProgress: view.update } : {}),
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
        const { renderReport, verdictLines, exitLine } = await import('../report/run-report.ts');
        const { buildReport } = await import('../report/build.ts');
        const doc = opts.report
          ? (await renderReport(dir, config, { formats: opts.report, env: process.env })).doc
          : await buildReport(dir, config);
        for (const line of verdictLines(doc)) process.stderr.write(`${line}\n`);
        process.stderr.write(`${exitLine(doc)}\n`);
        const verdicts = doc.summary.map((s) => ({ app: s.app, candidate: s.candidate, verdict: s.verdict }));
        process.stdout.write(`${JSON.stringify({ run: dir, status: run.status, counts: run.counts, targets: run.targets, verdicts, exit: doc.exit.status })}\n`);
        process.exitCode = doc.exit.status;
      } finally {
        view?.stop();
        process.off('SIGINT', onSigint);
      }
    });

  program
    .command('merge')
    .description('merge shard runs (replay --shard I/N) into one run directory')
    .argument('<run-dir...>', 'run directories to merge')
    .requiredOption('-o, --out <dir>', 'merged run directory to write')
    .action(async (dirs: string[], opts: { out: string }) => {
      const { mergeRuns } = await import('../model/run/merge.ts');
      const run = await mergeRuns(dirs, opts.out);
      process.stderr.write(`merged ${dirs.length} run(s): ${run.counts.outcomes} operation(s) into ${opts.out}\n`);
      process.stdout.write(`${JSON.stringify({ run: opts.out, status: run.status, counts: run.counts })}\n`);
    });
}

/** `NAME` alone names a target of the config file; anything else is a target spec. */
function resolveTargets(values: readonly string[], config: Config): string[] {
  return values.map((v) => (!v.includes('=') && !v.includes('://') && config.targets[v] ? `${v}=${config.targets[v]}` : v));
}

function number(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new UsageError(`${flag} ${text}: not a number`);
  return n;
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
