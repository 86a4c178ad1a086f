import { UsageError } from '../errors.ts';
import { parseTargetSpec, startTarget, type RunningTarget } from '../targets/index.ts';
import { LiveTarget, type Transport } from './target.ts';

export interface LiveTargetsOptions {
  readonly opTimeoutMs: number;
  readonly maxPoolSize: number;
  readonly transport: Transport;
  readonly log: (line: string) => void;
}

/**
 * Targets up and connected, in the order given: each `NAME=TARGET` spec started (a
 * connection string is only named; `ferretdb`, `memory-server`, … start a server) and
 * connected through a LiveTarget. On failure what was started is stopped again. The
 * caller owns both lists and closes them with closeLiveTargets.
 */
export async function openLiveTargets(
  specs: readonly { readonly spec: string; readonly role: 'baseline' | 'candidate' }[],
  options: LiveTargetsOptions,
): Promise<{ running: RunningTarget[]; live: LiveTarget[] }> {
  const parsed = specs.map(({ spec, role }) => ({ spec: parseTargetSpec(spec), role }));
  const names = new Set<string>();
  for (const { spec } of parsed) {
    if (names.has(spec.name)) throw new UsageError(`target name '${spec.name}' is given twice; name targets NAME=TARGET`);
    names.add(spec.name);
  }
  const running: RunningTarget[] = [];
  const live: LiveTarget[] = [];
  try {
    for (const { spec, role } of parsed) {
      const t = await startTarget(spec, { log: options.log });
      running.push(t);
      const lt = new LiveTarget(
        { name: t.name, role, uri: t.uri, displayUri: t.displayUri, serverVersion: t.serverVersion, product: t.product },
        options.opTimeoutMs,
        options.maxPoolSize,
        options.transport,
      );
      live.push(lt);
      await lt.connect();
      options.log(`target ${t.name} (${role}): ${t.product} at ${t.displayUri}${lt.replicaSet ? ` replica set ${lt.setName}` : ''}, ${lt.transportNote ?? `${lt.transport} transport`}`);
    }
  } catch (err) {
    await closeLiveTargets({ running, live });
    throw err;
  }
  return { running, live };
}

export async function closeLiveTargets(targets: { readonly running: readonly RunningTarget[]; readonly live: readonly LiveTarget[] }): Promise<void> {
  await Promise.all(targets.live.map((t) => t.close()));
  await Promise.all(targets.running.map((t) => t.stop().catch(() => undefined)));
}

/** A target as run.json describes it. */
export function runTargetInfo(t: LiveTarget) {
  return {
    name: t.name,
    role: t.info.role,
    uri: t.info.displayUri,
    serverVersion: t.info.serverVersion,
    product: t.info.product,
    ...(t.setName ? { replicaSet: t.setName } : {}),
    transport: t.transport,
    ...(t.transportNote ? { transportNote: t.transportNote } : {}),
    ...(t.down ? { down: t.down } : {}),
  };
}
