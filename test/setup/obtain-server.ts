import { oneLine } from '../../harness/errors.ts';
import { startFerretDb } from '../../harness/targets/ferretdb.ts';
import { PROVIDERS } from '../../harness/targets/index.ts';
import { uriProvider } from '../../harness/targets/uri.ts';
import type { RunningTarget } from '../../harness/targets/types.ts';

/**
 * The suite's one shared server, tried in this order:
 *   MONGO_COMPAT_TEST_URI → FerretDB → mongodb-memory-server → a container.
 * Fails with every reason when none is available: tests never run against a fake.
 */
export async function obtainTestServer(log: (line: string) => void): Promise<RunningTarget> {
  const envUri = process.env.MONGO_COMPAT_TEST_URI;
  if (envUri) return uriProvider.start({ name: 'test', kind: 'uri', uri: envUri, replicaSet: false });

  const reasons: string[] = [];
  const ferret = await PROVIDERS.ferretdb.probe();
  if (ferret.usable) {
    try {
      return await startFerretDb({ name: 'test', replicaSet: false }, { log });
    } catch (err) {
      reasons.push(`ferretdb: ${oneLine(err)}`);
    }
  } else reasons.push(`ferretdb: ${ferret.detail}`);

  for (const [kind, spec] of [
    ['memory-server', { name: 'test', kind: 'memory-server', version: '7.0.14', replicaSet: false }],
    ['container', { name: 'test', kind: 'container', version: '7.0', replicaSet: false }],
  ] as const) {
    const provider = PROVIDERS[kind];
    const availability = await provider.probe();
    if (!availability.usable) {
      reasons.push(`${kind}: ${availability.detail}`);
      continue;
    }
    try {
      return await provider.start(spec, { log });
    } catch (err) {
      reasons.push(`${kind}: ${oneLine(err)}`);
    }
  }
  throw new Error(`no MongoDB-protocol server for the tests. Set MONGO_COMPAT_TEST_URI, or fix one of: ${reasons.join('; ')}`);
}
