import type { Command } from 'commander';
import { ProxyConfigSchema } from '../config/schema.ts';
import { globalConfig } from './common.ts';
import { CaptureWriteError } from '../errors.ts';
import { flagTable, read } from './options.ts';

/** The `proxy:` section of the config file as flags. */
export const PROXY_FLAGS = flagTable(ProxyConfigSchema, 'proxy', {
  listen: { flags: '--listen <HOST:PORT>', read: read.text, help: 'where applications connect; one more port per replica-set member' },
  upstream: { flags: '--upstream <URI>', read: read.text, help: 'connection string of the real deployment (its password is never stored or printed)' },
  out: { flags: '--out <FILE>', read: read.text, help: 'capture file to write (.jsonl.gz)' },
  app: { flags: '--app <NAME>', read: read.text, help: "label every operation with this app instead of the client metadata's appName" },
  reply: { flags: '--reply <MODE>', read: read.text, help: 'replies kept' },
  redactPaths: { flags: '--redact-path <PATH>', read: read.repeated, help: `hash the values of this field path with a keyed HMAC (repeatable; key from $${ProxyConfigSchema.shape.redactKeyEnv.parse(undefined)} or the variable proxy.redactKeyEnv names)` },
  // Which variable holds the key is set once per deployment, in the file.
  redactKeyEnv: null,
  maskStrings: { flags: '--mask-strings', read: read.present, help: 'replace every string value with "***"' },
  tlsCert: { flags: '--tls-cert <FILE>', read: read.text, help: 'terminate client TLS with this certificate (PEM)' },
  tlsKey: { flags: '--tls-key <FILE>', read: read.text, help: 'private key for --tls-cert (PEM)' },
  upstreamCa: { flags: '--upstream-ca <FILE>', read: read.text, help: 'CA file to verify the upstream TLS certificate (also turns TLS on)' },
  maxQueueMb: { flags: '--max-queue-mb <N>', read: read.number, help: 'MiB of records waiting for disk before new ones are dropped' },
  rotateMb: { flags: '--rotate-mb <N>', read: read.number, help: 'start a new capture part after N compressed MiB' },
  statusIntervalSec: { flags: '--status-interval <SEC>', read: read.number, help: 'seconds between status lines on stderr' },
  maxConnections: { flags: '--max-connections <N>', read: read.number, help: 'client connections open at once; more are refused with an error reply' },
  maxBufferMb: { flags: '--max-buffer-mb <N>', read: read.number, help: 'MiB of unfinished messages held across all connections; past it a message is forwarded but not recorded' },
  messageTimeoutSec: { flags: '--message-timeout <SEC>', read: read.number, help: 'close a connection whose message stays unfinished this long; idle connections stay open' },
});

export function defineProxy(program: Command): void {
  const command = program.command('proxy').description('record the traffic of applications pointed at this proxy into a capture file');
  PROXY_FLAGS.addTo(command);
  command.action(async (flags: Record<string, unknown>, cmd: Command) => {
    const { config } = await globalConfig(cmd);
    const { resolveProxySettings, runProxy } = await import('./proxy-run.ts');
    const settings = resolveProxySettings(PROXY_FLAGS.over(config.proxy, flags), process.env);
    const handle = await runProxy(settings, (line) => process.stderr.write(`${line}\n`));
    // stdout: where to connect, for scripts.
    process.stdout.write(`${JSON.stringify({ listening: handle.addresses, out: settings.out, upstream: handle.upstream })}\n`);
    await new Promise<void>((resolve) => {
      const finish = (signal: string) => {
        process.stderr.write(`proxy: ${signal}, flushing the capture\n`);
        void handle.stop().then((files) => {
          const failure = handle.writeFailure;
          if (failure) {
            // The status line above counts every lost operation as dropped.
            const err = new CaptureWriteError(`the capture is incomplete: ${failure}; ${files.join(', ')} holds what was written before it`);
            process.stderr.write(`${err.code}: ${err.message}\n`);
            process.exitCode = 1;
          } else process.stderr.write(`proxy: capture complete: ${files.join(', ')}\n`);
          resolve();
        });
      };
      process.once('SIGINT', () => finish('SIGINT'));
      process.once('SIGTERM', () => finish('SIGTERM'));
    });
  });
}
