import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { SCENARIO_DEFAULTS } from '../../scenarios/lib/defaults.ts';

/**
 * `scenario list` and `scenario run`: the consuming applications as reproducible
 * workloads (scenarios/). Flags are plain options: scenarios have no config section.
 */
export function defineScenario(program: Command): void {
  const scenario = program.command('scenario').description("the platform's applications as seeded, reproducible workloads that write a capture");
  scenario
    .command('list')
    .description('describe every scenario: app, database, client settings, command mix')
    .option('--json', 'one JSON array on stdout')
    .action(async (flags: { json?: boolean }) => {
      const { SCENARIOS } = await import('../../scenarios/registry.ts');
      const rows = Object.values(SCENARIOS).map((s) => ({ name: s.name, app: s.app, db: s.db, client: s.client, summary: s.summary, notes: s.notes ?? [] }));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      for (const r of rows) {
        const client = [r.client.connect, r.client.readPreference ? `readPreference ${r.client.readPreference}` : '', r.client.driverInfo ? `driver ${r.client.driverInfo.name}` : ''].filter(Boolean).join(', ');
        process.stdout.write(`${r.name.padEnd(12)} app ${r.app}, db ${r.db}, ${client}\n${' '.repeat(13)}${r.summary}\n`);
        for (const n of r.notes) process.stdout.write(`${' '.repeat(13)}note: ${n}\n`);
      }
    });
  scenario
    .command('run')
    .description('seed the target, run the scenarios (directly or through a recording proxy started here) and write a capture')
    .argument('<name...>', 'scenarios to run side by side (see scenario list)')
    .requiredOption('--target <TARGET>', 'ferretdb[+rs] | memory-server:VERSION[+rs] | container:TAG[+rs] | mongodb://… (its scenario databases are dropped and seeded)')
    .requiredOption('--out <FILE>', 'capture file to write (.jsonl.gz)')
    .option('--through-proxy', "drive the apps through the recording proxy (the wire as the app sends it); else record from the driver's command monitoring")
    .option('--scale <X>', 'dataset size factor', String(SCENARIO_DEFAULTS.scale))
    .option('--ops <N>', 'operations per scenario', String(SCENARIO_DEFAULTS.ops))
    .option('--seed <S>', 'seed of datasets and operation mixes', String(SCENARIO_DEFAULTS.seed))
    .addHelpText('after', '\nstdout: one JSON object (files, operations recorded, per scenario its errors and notes). stderr: progress.')
    .action(async (names: string[], flags: { target: string; out: string; throughProxy?: boolean; scale: string; ops: string; seed: string }) => {
      const num = (flag: string, text: string): number => {
        const n = Number(text);
        if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} ${text}: expected a number`);
        return n;
      };
      const { runScenarios } = await import('../../scenarios/lib/run.ts');
      const log = (line: string): void => void process.stderr.write(`${line}\n`);
      let quarter = 0;
      const result = await runScenarios({
        names,
        target: flags.target,
        throughProxy: flags.throughProxy === true,
        scale: num('scale', flags.scale),
        ops: num('ops', flags.ops),
        seed: num('seed', flags.seed),
        out: flags.out,
        log,
        onProgress: (done, total) => {
          const q = Math.floor((done / total) * 4);
          if (q > quarter) {
            quarter = q;
            log(`operations: ${done}/${total}`);
          }
        },
      });
      for (const s of result.scenarios) {
        const refused = Object.values(s.errors).reduce((a, b) => a + b, 0);
        log(`${s.name}: ${s.operations} operations, ${refused} refused by the server`);
        for (const [k, n] of Object.entries(s.errors)) log(`  ${n}× ${k}`);
      }
      log(`${result.recorded} records, ${result.dropped} dropped: ${result.files.join(', ')}`);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });
}
