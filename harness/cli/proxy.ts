import type { Command } from 'commander';
import { globalConfig } from './common.ts';
import type { ProxyFlags } from './proxy-run.ts';


export function defineProxy(program: Command): void {
  program
    .command('proxy')
    .description('record the traffic of applications pointed at this proxy into a capture file')
    .option('--listen <HOST:PORT>', 'where applications connect (default 127.0.0.1:27018; one more port per replica-set member)')
    .option('--upstream <URI>', 'connection string of the real deployment (its password is never stored or printed)')
    .option('--out <FILE>', 'capture file to write (.jsonl.gz)')
    .option('--app <NAME>', 'label every operation with this app (default: the client metadata appName)')
    .option('--reply <MODE>', 'replies kept: full | digest | none (default full)')
    .option('--redact-path <PATH>', 'hash the values of this field path with a keyed HMAC (repeatable; key from $MONGO_COMPAT_REDACT_KEY)', (v: string, p: string[]) => [...p, v], [])
    .option('--mask-strings', 'replace every string value with "***"')
    .option('--tls-cert <FILE>', 'terminate client TLS with this certificate (PEM)')
    .option('--tls-key <FILE>', 'private key for --tls-cert (PEM)')
    .option('--upstream-ca <FILE>', 'CA file to verify the upstream TLS certificate (also turns TLS on)')
    .option('--max-queue-mb <N>', 'records waiting for disk before new ones are dropped (default 64)')
    .option('--rotate-mb <N>', 'start a new capture part after N compressed MiB')
    .option('--status-interval <SEC>', 'seconds between status lines on stderr (default 10)')
    .action(async (flags: ProxyFlags, cmd: Command) => {
      const { config } = await globalConfig(cmd);
      const { resolveProxySettings, runProxy } = await import('./proxy-run.ts');
      const settings = resolveProxySettings(flags, config.proxy, process.env);
      const handle = await runProxy(settings, (line) => process.stderr.write(`${line}\n`));
      // stdout: where to connect, for scripts.
      process.stdout.write(`${JSON.stringify({ listening: handle.addresses, out: settings.out, upstream: handle.upstream })}\n`);
      await new Promise<void>((resolve) => {
        const finish = (signal: string) => {
          process.stderr.write(`proxy: ${signal}, flushing the capture\n`);
          void handle.stop().then((files) => {
            process.stderr.write(`proxy: capture complete: ${files.join(', ')}\n`);
            resolve();
          });
        };
        process.once('SIGINT', () => finish('SIGINT'));
        process.once('SIGTERM', () => finish('SIGTERM'));
      });
    });
}
