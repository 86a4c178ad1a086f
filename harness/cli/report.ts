import type { Command } from 'commander';
import { EXIT_STATUS_HELP } from '../report/exit-status.ts';
import { globalConfig } from './common.ts';

interface ReportFlags {
  format?: string;
  out?: string;
  datadog?: boolean;
  bench?: string;
}

export function defineReport(program: Command): void {
  program
    .command('report')
    .description('render a replay run as Markdown, self-contained HTML, JSON and JUnit XML; optionally send metrics to Datadog')
    .argument('<RUN_DIR>', 'a run directory written by `mongo-compat replay`')
    .option('-f, --format <list>', 'comma-separated: md,html,json,junit (default: config report.formats, else all)')
    .option('-o, --out <dir>', 'where the files go (default: RUN_DIR/report)')
    .option('--datadog', 'send metrics and failed-verdict events to Datadog (DD_API_KEY, DD_SITE)')
    .option('--bench <file>', 'include a contention benchmark result (contention.json)')
    .addHelpText('after', `${EXIT_STATUS_HELP}\n\nstdout: the path of each file written, one a line. stderr: the verdicts.`)
    .action(async (runDir: string, flags: ReportFlags, cmd: Command) => {
      const { config } = await globalConfig(cmd);
      const { renderReport } = await import('../report/run-report.ts');
      const result = await renderReport(runDir, config, {
        formats: flags.format,
        out: flags.out,
        datadog: flags.datadog,
        benchFile: flags.bench,
        env: process.env,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      for (const path of Object.values(result.files)) process.stdout.write(`${path}\n`);
      process.exitCode = result.doc.exit.status;
    });
}
