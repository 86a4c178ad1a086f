import type { Command } from 'commander';
import { SuiteConfigSchema } from '../config/schema.ts';
import { EXIT_STATUS_HELP } from '../report/exit-status.ts';
import { globalConfig, stopOnSigint } from './common.ts';
import { flagTable, read } from './options.ts';

/** Flags that are not config keys; the others are in SUITE_FLAGS. */
type SuiteFlags = {
  accept?: string[];
  shard?: string;
  merge?: string[];
};

/** The `suite:` section of the config file as flags. Apps, targets and acceptances with their reasons live in the file. */
export const SUITE_FLAGS = flagTable(SuiteConfigSchema, 'suite', {
  out: { flags: '-o, --out <dir>', read: read.text, help: 'where the index page and one report folder per app go' },
  failOn: { flags: '--fail-on <mode>', read: read.text, help: 'new: only difference groups not seen in the last comparable run fail; any: every failing verdict' },
  history: { flags: '--history <dir>', read: read.text, help: 'directory of the run history (history.jsonl)' },
  trendRuns: { flags: '--trend-runs <n>', read: read.number, help: 'runs shown in the verdict strip of each cell' },
  apps: null,
  baseline: null,
  candidates: null,
  accept: null,
  hooks: null,
});

export function defineSuite(program: Command): void {
  const command = program
    .command('suite')
    .description("the nightly regression replay: every app of the config's suite section against the baseline and every candidate, one report per app, an index page, a history compared night to night");
  SUITE_FLAGS.addTo(command)
    .option('--accept <id...>', 'acknowledge these difference group ids for this run (lasting ones go in suite.accept with a reason and an expiry)')
    .option('--shard <I/N>', 'replay only shard I of N of every app into OUT/<app>/run; no report, history or index (one job of a matrix)')
    .option('--merge <dir...>', 'merge the shard outputs DIR/<app>/run of these directories instead of replaying, then report, compare with the history and index')
    .option('--datadog', 'send per-cell metrics (verdict level, difference groups, new groups, p50/p99 ratio) and one event per new FAIL to Datadog (DD_API_KEY, DD_SITE)')
    .addHelpText(
      'after',
      `${EXIT_STATUS_HELP}\nWith --fail-on new (the default) the bits 2 and 4 count only cells with difference groups new since the last comparable run and not accepted.\n\nstdout: one JSON object (run id, index files, history file, exit status, cells). stderr: one line per cell.`,
    )
    .action(async (flags: SuiteFlags & Record<string, unknown>, cmd: Command) => {
      const loaded = await globalConfig(cmd);
      const config = { ...loaded.config, suite: SUITE_FLAGS.over(loaded.config.suite, flags) };
      const { runSuite } = await import('../suite/run-suite.ts');
      const ac = stopOnSigint();
      try {
        if (flags.shard !== undefined) {
          const { parseShard, shardProblem } = await import('../replay/shard.ts');
          const { UsageError } = await import('../errors.ts');
          const problem = shardProblem(flags.shard);
          if (problem) throw new UsageError(`--shard ${flags.shard}: ${problem}`);
          if (flags.merge) throw new UsageError('--shard and --merge go apart: shards replay, the merge reports');
          const { runSuiteShard } = await import('../suite/run-suite.ts');
          const { EXIT_BITS } = await import('../report/exit-status.ts');
          const r = await runSuiteShard({ config, shard: parseShard(flags.shard), resolveScenario: scenarioCapture, signal: ac.signal, log: (line) => process.stderr.write(`${line}\n`) });
          process.stdout.write(`${JSON.stringify(r)}\n`);
          process.exitCode = (r.runs.some((x) => x.status === 'error') ? EXIT_BITS.ERRORS : 0) | (r.runs.some((x) => x.status === 'interrupted') ? EXIT_BITS.TIME_LIMIT : 0);
          return;
        }
        const result = await runSuite({
          ...(flags.merge ? { merge: flags.merge } : {}),
          config,
          accept: flags.accept ?? [],
          resolveScenario: scenarioCapture,
          // Each app's read shapes explained on every target while they are up: the reports' Plans sections.
          afterReplay: async (runDir, app, uris) => {
            const { explainRun } = await import('../plans/run-plans.ts');
            const { result: plans } = await explainRun(runDir, { config: config.plans, ...(uris ? { uris } : {}) });
            process.stderr.write(`suite: ${app}: plans of ${plans.shapes.length} shape(s)\n`);
          },
          signal: ac.signal,
          log: (line) => process.stderr.write(`${line}\n`),
        });
        const { index } = result;
        if (flags.datadog === true || config.report.datadog.enabled) await (await import('../suite/datadog.ts')).suiteDatadog(index, config.suite.out, config, process.env, (line) => process.stderr.write(`${line}\n`));
        for (const c of index.cells) {
          const what = c.verdict === 'error' ? `ERROR ${c.error ?? ''}` : `${c.verdict.toUpperCase()} ${c.changes.new.length} new, ${c.changes.open.length} still open, ${c.changes.fixed.length} fixed`;
          process.stderr.write(`${c.app} on ${c.candidate} (${c.version}): ${what}${c.changes.new.length ? `: ${c.changes.new.map((g) => g.id).join(' ')}` : ''}\n`);
        }
        process.stderr.write(`exit status ${index.exit.status}${index.exit.reasons.length ? ` (${index.exit.reasons.join('; ')})` : ''}\n`);
        const cells = index.cells.map((c) => ({ app: c.app, candidate: c.candidate, verdict: c.verdict, new: c.changes.new.map((g) => g.id), fixed: c.changes.fixed.map((g) => g.id), open: c.changes.open.map((g) => g.id), report: c.report ?? null }));
        process.stdout.write(`${JSON.stringify({ runId: index.runId, index: result.files, exit: index.exit.status, cells })}\n`);
        process.exitCode = index.exit.status;
      } finally {
        ac.release();
      }
    });
}

/** A scenario app replays the scenario's sample capture (captures/NAME.jsonl.gz, `npm run captures`). */
async function scenarioCapture(name: string): Promise<readonly string[]> {
  const { SCENARIOS } = await import('../../scenarios/registry.ts');
  const { UsageError } = await import('../errors.ts');
  if (!SCENARIOS[name]) throw new UsageError(`suite app scenario ${name}: unknown scenario; expected one of ${Object.keys(SCENARIOS).join(', ')}`);
  const { packagePath } = await import('../package-root.ts');
  return [packagePath('captures', `${name}.jsonl.gz`)];
}
