import { MongoClient } from 'mongodb';
import { oneLine, TargetUnavailableError } from '../errors.ts';
import { waitForPing } from './ping.ts';
import { PROBE_TIMEOUT_MS, type Availability, type RunningTarget, type StartOptions, type TargetProvider, type TargetSpec } from './types.ts';
import { withTimeout } from './with-timeout.ts';

/**
 * testcontainers with an official `mongo:X.Y` image. Needs a Docker-compatible engine;
 * the package loads lazily, only when this kind is used.
 */
export const containerProvider: TargetProvider = {
  kind: 'container',
  probe: probeContainer,
  start: startContainer,
};

async function probeContainer(): Promise<Availability> {
  const versions = ['4.2', '4.4', '5.0', '6.0', '7.0', '8.0'];
  const unusable = (detail: string): Availability => ({ kind: 'container', usable: false, detail, versions: [] });
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    return await withTimeout(
      getContainerRuntimeClient().then(
        (client): Availability => ({
          kind: 'container',
          usable: true,
          detail: `container runtime ${client.info.containerRuntime.host} (${client.info.containerRuntime.operatingSystem}, server ${client.info.containerRuntime.serverVersion})`,
          versions,
        }),
        (err: unknown) => unusable(`no Docker-compatible container engine found (${oneLine(err)})`),
      ),
      PROBE_TIMEOUT_MS,
      () => unusable(`the container engine did not answer within ${PROBE_TIMEOUT_MS / 1000} s`),
    );
  } catch (err) {
    return unusable(`testcontainers cannot load: ${oneLine(err)}`);
  }
}

function imageOf(version: string): string {
  return version.includes(':') || version.includes('/') ? version : `mongo:${version}`;
}

async function startContainer(spec: TargetSpec, options: StartOptions = {}): Promise<RunningTarget> {
  const availability = await probeContainer();
  if (!availability.usable) throw new TargetUnavailableError(`container: ${availability.detail}`);
  const image = imageOf(spec.version ?? '7.0');
  options.log?.(`starting ${image}${spec.replicaSet ? ' as a single-node replica set' : ''} with testcontainers`);
  const { GenericContainer, Wait } = await import('testcontainers');
  let container;
  try {
    container = await new GenericContainer(image)
      .withExposedPorts(27017)
      .withCommand(spec.replicaSet ? ['--replSet', 'rs0', '--bind_ip_all'] : ['--bind_ip_all'])
      .withWaitStrategy(Wait.forListeningPorts())
      .start();
  } catch (err) {
    throw new TargetUnavailableError(`container ${image} did not start: ${oneLine(err)}`, { cause: err });
  }
  const uri = `mongodb://${container.getHost()}:${container.getMappedPort(27017)}/?directConnection=true`;
  try {
    if (spec.replicaSet) await initiateReplicaSet(uri);
    const { serverVersion, product } = await waitForPing(uri, options.readyTimeoutMs ?? 30_000);
    let stopped: Promise<void> | undefined;
    const started = container;
    return {
      name: spec.name,
      kind: 'container',
      uri,
      displayUri: uri,
      serverVersion,
      product,
      stop: () => (stopped ??= started.stop().then(() => undefined)),
    };
  } catch (err) {
    await container.stop().catch(() => undefined);
    throw err;
  }
}

/** One member, addressed as the container sees itself; clients use directConnection. */
async function initiateReplicaSet(uri: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 30_000 });
  try {
    await client.connect();
    const admin = client.db('admin');
    await admin.command({ replSetInitiate: { _id: 'rs0', members: [{ _id: 0, host: '127.0.0.1:27017' }] } });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const hello = await admin.command({ isMaster: 1 });
      if (hello.ismaster === true) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new TargetUnavailableError(`replica set in ${uri} elected no primary within 30 s`);
  } finally {
    await client.close();
  }
}
