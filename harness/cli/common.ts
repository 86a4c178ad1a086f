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
