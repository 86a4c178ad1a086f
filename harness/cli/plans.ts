import type { Command } from 'commander';
import { PlansConfigSchema } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import { globalConfig } from './common.ts';
import { flagTable, read } from './options.ts';

/** Exit status when a plan change at level `fail` was found (the report's "fail" bit, harness/report/exit-status.ts). */
const PLAN_FAIL = 4;

/** The `plans:` section of the config file as flags. */
export const PLANS_FLAGS = flagTable(PlansConfigSchema, 'plans', {
  verbosity: { flags: '--verbosity <mode>', read: read.text, help: 'explain verbosity of reads (writes are always explained at queryPlanner, which executes nothing)' },
  timeLimitMs: { flags: '--time-limit <ms>', read: read.number, help: 'per explain: sent as maxTimeMS; the client gives up 500 ms later' },
  perShape: { flags: '--per-shape <n>', read: read.number, help: 'operations explained per shape' },
  ratioFactor: { flags: '--ratio-factor <x>', read: read.number, help: 'documents examined per document returned may grow by this factor before it is a change' },
  // Levels per kind of change are settled once per team, in the file.
  levels: null,
});

/** `mongo-compat plans RUN_DIR`: explain every read shape of a run on every target, diff the plans. */
export function definePlans(program: Command): void {
  const command = program
    .command('plans')
    .description('explain every read shape of a replay run on every target of the run and compare the plans (index scan to collection scan, index, blocking sort, examined ratio); writes RUN_DIR/plans.json, which `report` shows')
    .argument('<RUN_DIR>', 'a run directory written by `mongo-compat replay`');
  PLANS_FLAGS.addTo(command)
    .option('--target <NAME=URI...>', "a target's connection string, over the redacted one run.json keeps (credentials); the config file's targets of the same name are used too", [] as string[])
    .addHelpText('after', `\nstdout: the path of plans.json. stderr: one line per changed shape.\nExit status: 0, ${PLAN_FAIL} when a change at level fail was found, 1 on bad input.`)
    .action(async (runDir: string, flags: Record<string, unknown>, cmd: Command) => {
      const loaded = await globalConfig(cmd);
      const config = PLANS_FLAGS.over(loaded.config.plans, flags);
      const uris: Record<string, string> = {};
      for (const [name, target] of Object.entries(loaded.config.targets)) if (/^mongodb(\+srv)?:\/\//i.test(target)) uris[name] = target;
      for (const t of (flags.target as string[] | undefined) ?? []) {
        const eq = t.indexOf('=');
        if (eq <= 0 || !/^mongodb(\+srv)?:\/\//i.test(t.slice(eq + 1))) throw new UsageError(`--target ${t}: expected NAME=mongodb://…`);
        uris[t.slice(0, eq)] = t.slice(eq + 1);
      }
      const { explainRun } = await import('../plans/run-plans.ts');
      const { file, result } = await explainRun(runDir, { config, uris, log: (line) => process.stderr.write(`${line}\n`) });
      for (const s of result.shapes) {
        for (const [candidate, changes] of Object.entries(s.changes)) {
          for (const c of changes) process.stderr.write(`${c.level}: ${s.cmd} ${s.coll ?? s.db} (shape ${s.shape}) on ${candidate}: ${c.kind}: ${c.message}\n`);
        }
      }
      const n = result.counts;
      process.stderr.write(`plans: ${n.shapes} shape(s), ${n.explains} explain(s), ${n.failed} failed (${n.timedOut} timed out); changes: ${n.changed.fail} fail, ${n.changed.warn} warn, ${n.changed.info} info\n`);
      process.stdout.write(`${file}\n`);
      if (n.changed.fail > 0) process.exitCode = PLAN_FAIL;
    });
}
