import type { Command } from 'commander';
import { DEMO_REPORTS_DIR } from '../demo/defaults.ts';
import { globalConfig } from './common.ts';

export function defineDemo(program: Command): void {
  program
    .command('demo')
    .description('the main job on an embedded default: local servers, a seeded shop, its workload through the proxy, a replay against baseline and a candidate with known differences, every report format')
    .option('--server <KIND>', 'target kind for the local servers: ferretdb, memory-server:VERSION, container:TAG (default: the first usable, as doctor sees it)')
    .option('--reports <dir>', `parent directory of demo-<timestamp>/ (default ./${DEMO_REPORTS_DIR})`)
    .addHelpText('after', '\nExits 0 when the demo ran, whatever the verdicts (the candidate is built to differ).\nstdout: the path of the HTML report. stderr: the stages, progress and verdicts.')
    .action(async (flags: { server?: string; reports?: string }, cmd: Command) => {
      const { config } = await globalConfig(cmd);
      const { runDemo } = await import('../demo/run-demo.ts');
      const log = (line: string): void => void process.stderr.write(`${line}\n`);
      let last = '';
      const result = await runDemo({
        config,
        server: flags.server,
        reportsDir: flags.reports,
        log,
        progress: (stage, done, total) => {
          // One line per 25 %: readable in CI logs and on a terminal alike.
          const q = total > 0 ? Math.floor((done / total) * 4) : 0;
          const key = `${stage}:${q}`;
          if (key !== last && q > 0) {
            last = key;
            log(`      ${stage}: ${done}/${total}`);
          }
        },
      });
      log('');
      log('verdicts:');
      for (const s of result.doc.summary) log(`  ${s.verdict.toUpperCase().padEnd(4)} ${s.app} on ${s.candidate}: ${s.groups} difference group(s), p99 latency ${s.latency.p99Ratio === null ? '—' : `×${s.latency.p99Ratio.toFixed(2)}`}`);
      log(`report: ${result.html}`);
      process.stdout.write(`${result.html}\n`);
    });
}
