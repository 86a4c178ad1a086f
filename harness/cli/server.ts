import type { Command } from 'commander';

export function defineServer(program: Command): void {
  const server = program.command('server').description('build or run a local MongoDB-protocol server');
  server
    .command('build')
    .description('build the local FerretDB server into the cache (done on first use otherwise)')
    .argument('[target]', 'ferretdb or ferretdb:VERSION', 'ferretdb')
    .action(async (target: string) => {
      const { parseTargetSpec } = await import('../targets/spec.ts');
      const { UsageError } = await import('../errors.ts');
      const spec = parseTargetSpec(target);
      if (spec.kind !== 'ferretdb') throw new UsageError(`server build only builds ferretdb, not ${spec.kind}`);
      const { ensureFerretDb } = await import('../targets/ferretdb-build.ts');
      const path = await ensureFerretDb({ version: spec.version, log: (l) => process.stderr.write(`${l}\n`) });
      process.stdout.write(`${path}\n`);
    });
  server
    .command('start')
    .description('start a target, print its connection string on stdout, stop it on Ctrl-C')
    .argument('<target>', 'ferretdb[+rs] | memory-server:VERSION[+rs] | container:TAG[+rs] | mongodb://…')
    .action(async (target: string) => {
      const { startTarget } = await import('../targets/index.ts');
      const running = await startTarget(target, { log: (l) => process.stderr.write(`${l}\n`) });
      process.stdout.write(`${running.displayUri === running.uri ? running.uri : running.displayUri}\n`);
      process.stderr.write(`${running.name}: ${running.product}; Ctrl-C stops it\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await running.stop();
    });
}
