import type { Command } from 'commander';
import { ReportConfigSchema } from '../config/schema.ts';
import { EXIT_STATUS_HELP } from '../report/exit-status.ts';
import { globalConfig } from './common.ts';
import { flagTable, read } from './options.ts';

/** Flags that are not config keys; the others are in REPORT_FLAGS. */
type ReportFlags = {
  out?: string;
  bench?: string;
};

/** The `report:` section of the config file as flags. */
export const REPORT_FLAGS = flagTable(ReportConfigSchema, 'report', {
  formats: { flags: '-f, --format <list>', read: read.list, help: 'formats to write, comma-separated' },
  datadog: {
    enabled: { flags: '--datadog', read: read.present, help: 'send metrics and failed-verdict events to Datadog (DD_API_KEY, DD_SITE)' },
    // Where and with which tags are settled once per team, in the file.
    site: null,
    tags: null,
  },
});

export function defineReport(program: Command): void {
  const command = program
    .command('report')
    .description('render a replay run as Markdown, self-contained HTML, JSON and JUnit XML; optionally send metrics to Datadog')
    .argument('<RUN_DIR>', 'a run directory written by `mongo-compat replay`');
  REPORT_FLAGS.addTo(command)
    .option('-o, --out <dir>', 'where the files go (default: RUN_DIR/report)')
    .option('--bench <file>', 'include a contention benchmark result (contention.json)')
    .addHelpText('after', `${EXIT_STATUS_HELP}\n\nstdout: the path of each file written, one a line. stderr: the verdicts.`)
    .action(async (runDir: string, flags: ReportFlags, cmd: Command) => {
      const loaded = await globalConfig(cmd);
      // renderReport reads formats and Datadog settings from the config's report section.
      const config = { ...loaded.config, report: REPORT_FLAGS.over(loaded.config.report, flags) };
      const { renderReport } = await import('../report/run-report.ts');
      const result = await renderReport(runDir, config, {
        out: flags.out,
        benchFile: flags.bench,
        env: process.env,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      for (const path of Object.values(result.files)) process.stdout.write(`${path}\n`);
      process.exitCode = result.doc.exit.status;
    });
}
