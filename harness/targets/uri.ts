import { TargetSpecError } from '../errors.ts';
import { pingServer } from './ping.ts';
import { redactUri } from './redact.ts';
import type { Availability, RunningTarget, StartOptions, TargetProvider, TargetSpec } from './types.ts';

/** An existing deployment reached by connection string: the clones, or any real server. */
export const uriProvider: TargetProvider = {
  kind: 'uri',
  async probe(): Promise<Availability> {
    return {
      kind: 'uri',
      usable: true,
      detail: 'any reachable deployment by connection string (mongodb:// or mongodb+srv://)',
      versions: ['whatever the deployment runs'],
    };
  },
  async start(spec: TargetSpec, options: StartOptions = {}): Promise<RunningTarget> {
    if (!spec.uri) throw new TargetSpecError(`target '${spec.name}' has no connection string`);
    const { serverVersion, product } = await pingServer(spec.uri, options.readyTimeoutMs ?? 10_000);
    return {
      name: spec.name,
      kind: 'uri',
      uri: spec.uri,
      displayUri: redactUri(spec.uri),
      serverVersion,
      product,
      stop: async () => undefined,
    };
  },
};
