import { DemoError } from '../errors.ts';
import { PROVIDERS } from '../targets/index.ts';
import type { TargetKind } from '../targets/types.ts';

/** Kinds the demo can start itself, in order of preference (FerretDB needs no download or Docker). */
const LOCAL_KINDS: readonly Exclude<TargetKind, 'uri'>[] = ['ferretdb', 'memory-server', 'container'];

/**
 * The target kind for the demo's local servers: the first kind `doctor` would call
 * usable here, with the first version it offers. One probe at a time, so a usable
 * FerretDB answers without waiting on the Docker probe.
 */
export async function pickDemoServer(log: (line: string) => void): Promise<string> {
  const reasons: string[] = [];
  for (const kind of LOCAL_KINDS) {
    const a = await PROVIDERS[kind].probe();
    if (a.usable) {
      const version = kind === 'ferretdb' ? undefined : a.versions[0];
      if (kind !== 'ferretdb' && !version) {
        reasons.push(`${kind}: usable but names no version`);
        continue;
      }
      return version ? `${kind}:${version}` : kind;
    }
    reasons.push(`${kind}: ${a.detail}`);
    log(`      ${kind} is not usable here: ${a.detail}`);
  }
  throw new DemoError(`no local server kind can run here (${reasons.join('; ')}); pass --server or see mongo-compat doctor`);
}
