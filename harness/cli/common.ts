import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';

/** Loads the config named by the global --config flag (or the default file). */
export async function globalConfig(cmd: Command): Promise<{ config: Config; path?: string }> {
  const root = cmd.optsWithGlobals<{ config?: string }>();
  return loadConfig(root.config);
}

/** Targets from flags, then those of the config file not overridden by name. */
export function collectTargets(flags: readonly string[], fromConfig: Readonly<Record<string, string>>): string[] {
  const given = new Set(flags.map((f) => (f.includes('=') && !/^mongodb/i.test(f) ? f.slice(0, f.indexOf('=')) : '')));
  const extra = Object.entries(fromConfig)
    .filter(([name]) => !given.has(name))
    .map(([name, target]) => `${name}=${target}`);
  return [...flags, ...extra];
}

/**
 * Ctrl-C stops a long command gracefully: the first finishes the operations in flight
 * (the returned signal aborts), the second quits at once (exit 130). `release` removes
 * the handler when the command is done.
 */
export function stopOnSigint(): { readonly signal: AbortSignal; release(): void } {
  const ac = new AbortController();
  const onSigint = (): void => {
    if (ac.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping: finishing operations in flight (Ctrl-C again to quit at once)\n');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: ac.signal, release: () => void process.off('SIGINT', onSigint) };
}

/** `NAME` alone names a target of the config file; anything else is a target spec. */
export function resolveTargets(values: readonly string[], config: Config): string[] {
  return values.map((v) => (!v.includes('=') && !v.includes('://') && config.targets[v] ? `${v}=${config.targets[v]}` : v));
}

/**
 * A finished run's verdicts, from the same report document as `mongo-compat report`:
 * the report written into RUN_DIR/report when formats are given, the verdict lines and
 * the exit line on stderr. Returns the document and the per-cell verdicts for the
 * command's JSON summary.
 */
export async function printVerdicts(dir: string, config: Config, formats: string | undefined) {
  const { renderReport, verdictLines, exitLine } = await import('../report/run-report.ts');
  const { buildReport } = await import('../report/build.ts');
  const doc = formats ? (await renderReport(dir, config, { formats, env: process.env })).doc : await buildReport(dir, config);
  for (const line of verdictLines(doc)) process.stderr.write(`${line}\n`);
  process.stderr.write(`${exitLine(doc)}\n`);
  return { doc, verdicts: doc.summary.map((s) => ({ app: s.app, candidate: s.candidate, verdict: s.verdict })) };
}

/** `HOST:PORT` (the host may be a bracketed IPv6 address) as host and port; the schema checked its shape. */
export function splitHostPort(text: string): [string, number] {
  const colon = text.lastIndexOf(':');
  return [text.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), Number(text.slice(colon + 1))];
}
