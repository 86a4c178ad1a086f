import { containerProvider } from './container.ts';
import { ferretDbProvider } from './ferretdb.ts';
import { ferretDbPgProvider } from './ferretdb-pg.ts';
import { memoryServerProvider } from './memory-server.ts';
import { parseTargetSpec } from './spec.ts';
import type { Availability, RunningTarget, StartOptions, TargetKind, TargetProvider, TargetSpec } from './types.ts';
import { uriProvider } from './uri.ts';

export type { Availability, RunningTarget, StartOptions, TargetKind, TargetProvider, TargetSpec } from './types.ts';
export { parseTargetSpec } from './spec.ts';
export { redactUri } from './redact.ts';

export const PROVIDERS: Readonly<Record<TargetKind, TargetProvider>> = Object.freeze({
  uri: uriProvider,
  ferretdb: ferretDbProvider,
  'ferretdb-pg': ferretDbPgProvider,
  'memory-server': memoryServerProvider,
  container: containerProvider,
});

/** Starts (or connects to) a target given as a spec or as `NAME=TARGET` text. */
export function startTarget(spec: TargetSpec | string, options?: StartOptions): Promise<RunningTarget> {
  const parsed = typeof spec === 'string' ? parseTargetSpec(spec) : spec;
  return PROVIDERS[parsed.kind].start(parsed, options);
}

/** Probes every kind at once; each answers within its own timeout. */
export function probeAll(): Promise<Availability[]> {
  return Promise.all(Object.values(PROVIDERS).map((p) => p.probe()));
}
