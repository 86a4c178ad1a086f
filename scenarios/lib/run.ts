import ConnectionString from 'mongodb-connection-string-url';
import { MongoClient, type ReadPreferenceMode } from 'mongodb';
import { startProxy, parseUpstream, type RunningProxy } from '../../harness/capture/proxy/index.ts';
import { oneLine } from '../../harness/errors.ts';
import { openCaptureWriter, type CaptureWriter } from '../../harness/store/writer.ts';
import { startTarget, type RunningTarget } from '../../harness/targets/index.ts';
import { SCENARIOS } from '../registry.ts';
import { DriverRecorder } from './driver-recorder.ts';
import { ScenarioError } from '../../harness/errors.ts';
import { execute } from './execute.ts';
import { LegacyClient } from './legacy-client.ts';
import type { Scenario } from './model.ts';
import { seedScenario } from './seed.ts';
import { makeTempCert, type TempCert } from './tls.ts';

/**
 * `scenario run`: starts (or reaches) the target, seeds each scenario's database, runs
 * each scenario's operation mix on its own client (the app's appName and settings),
 * directly or through a recording proxy started here, and writes one capture. The
 * scenarios run side by side, each on its own database; each one's operations go in
 * order, one at a time, like one application thread, so a capture replays against
 * fresh servers seeded alike to the same results.
 */
export interface ScenarioRunRequest {
  readonly names: readonly string[];
  /** Scenarios given as values (property tests' generated workloads) instead of registry names. */
  readonly scenarios?: readonly Scenario[];
  /** Any target `startTarget` accepts: `ferretdb`, `ferretdb+rs`, `mongodb://…`. */
  readonly target: string;
  readonly throughProxy: boolean;
  readonly scale: number;
  readonly ops: number;
  readonly seed: number;
  readonly out: string;
  readonly log?: (line: string) => void;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ScenarioRunSummary {
  readonly name: string;
  readonly app: string;
  readonly db: string;
  readonly documents: number;
  readonly operations: number;
  /** Operations the server refused, by `code: message` (first line), with how many. */
  readonly errors: Readonly<Record<string, number>>;
  /** The read preference the client used, when the app sets one. */
  readonly readPreference?: ReadPreferenceMode;
  readonly notes: readonly string[];
}

export interface ScenarioRunResult {
  readonly files: readonly string[];
  readonly recorded: number;
  readonly dropped: number;
  readonly target: { readonly product: string; readonly displayUri: string; readonly replicaSet?: string };
  readonly scenarios: readonly ScenarioRunSummary[];
}

export function resolveScenarios(names: readonly string[]): Scenario[] {
  if (names.length === 0) throw new ScenarioError(`name at least one scenario: ${Object.keys(SCENARIOS).join(', ')}`);
  const out: Scenario[] = [];
  for (const n of names) {
    const s = SCENARIOS[n];
    if (!s) throw new ScenarioError(`unknown scenario '${n}': expected one of ${Object.keys(SCENARIOS).join(', ')}`);
    if (out.some((x) => x.db === s.db)) throw new ScenarioError(`scenarios ${out.find((x) => x.db === s.db)!.name} and ${n} share database ${s.db}: run them separately`);
    out.push(s);
  }
  return out;
}

export function checkNumbers(r: { scale: number; ops: number; seed: number }): void {
  if (!(r.scale > 0) || !Number.isFinite(r.scale)) throw new ScenarioError(`--scale ${r.scale}: must be a positive number`);
  if (!Number.isInteger(r.ops) || r.ops < 1) throw new ScenarioError(`--ops ${r.ops}: must be a positive integer`);
  if (!Number.isInteger(r.seed) || r.seed < 0 || r.seed > 2 ** 32 - 1) throw new ScenarioError(`--seed ${r.seed}: must be an integer in [0, 2^32)`);
}

export async function runScenarios(req: ScenarioRunRequest): Promise<ScenarioRunResult> {
  const log = req.log ?? (() => undefined);
  const scenarios = req.scenarios ? [...req.scenarios] : resolveScenarios(req.names);
  checkNumbers(req);
  if (!req.throughProxy) {
    const legacy = scenarios.find((s) => s.operations(req.seed, req.scale, req.ops).some((o) => o.op === 'legacyFind'));
    if (legacy) throw new ScenarioError(`${legacy.name}: its legacy OP_QUERY finds can be recorded only through the proxy (the driver's command monitoring never sees them): add --through-proxy`);
  }
  let target: RunningTarget | undefined;
  let proxy: RunningProxy | undefined;
  let writer: CaptureWriter | undefined;
  let cert: TempCert | undefined;
  const clients: MongoClient[] = [];
  const legacies: LegacyClient[] = [];
  try {
    target = await startTarget(req.target, { log });
    const admin = new MongoClient(target.uri, { serverSelectionTimeoutMS: 10_000 });
    clients.push(admin);
    const hello = await admin.db('admin').command({ hello: 1 });
    const setName = typeof hello.setName === 'string' ? hello.setName : undefined;
    const members = Array.isArray(hello.hosts) ? hello.hosts.length : 0;
    log(`target ${target.name}: ${target.product} at ${target.displayUri}${setName ? `, replica set ${setName} of ${members}` : ''}`);

    const summaries = new Map<string, { documents: number; errors: Record<string, number>; notes: string[]; readPreference?: ReadPreferenceMode }>();
    for (const s of scenarios) {
      const { documents } = await seedScenario(admin.db(s.db), s, req.seed, req.scale);
      log(`seeded ${s.db} for ${s.name}: ${documents} documents (seed ${req.seed}, scale ${req.scale})`);
      summaries.set(s.name, { documents, errors: {}, notes: [...(s.notes ?? [])] });
    }

    const needTls = req.throughProxy && scenarios.some((s) => s.client.connect === 'tls');
    if (needTls) {
      cert = await makeTempCert();
      if (scenarios.some((s) => s.client.connect !== 'tls')) log('the proxy terminates TLS for dre, so every scenario of this run connects over TLS');
    }
    const header = {
      ...(scenarios.length === 1 ? { app: scenarios[0]!.app } : {}),
      source: { kind: req.throughProxy ? ('proxy' as const) : ('driver' as const), host: parseUpstream(target.uri).display },
      ...(setName ? { replicaSet: setName } : {}),
      startedAt: new Date().toISOString(),
      redaction: { mode: 'none' as const },
      replyMode: 'full' as const,
      serverVersion: target.serverVersion,
    };
    let recorder: DriverRecorder | undefined;
    if (req.throughProxy) {
      proxy = await startProxy({
        upstream: proxyUpstream(target.uri, setName),
        capture: { path: req.out, header },
        replyMode: 'full',
        ...(cert ? { tls: { cert: cert.cert, key: cert.key } } : {}),
      });
      log(`recording proxy at ${proxy.address}${cert ? ' (TLS)' : ''} -> ${proxy.upstream}, capture ${req.out}`);
    } else {
      writer = await openCaptureWriter(req.out, header);
      log(`recording from the driver's command monitoring into ${req.out} (add --through-proxy to record the wire)`);
    }

    const plans = scenarios.map((s) => ({ s, ops: s.operations(req.seed, req.scale, req.ops) }));
    const total = plans.reduce((n, p) => n + p.ops.length, 0);
    let done = 0;
    await Promise.all(
      plans.map(async ({ s, ops }) => {
        const summary = summaries.get(s.name)!;
        let readPreference = s.client.readPreference;
        if (readPreference === 'secondary' && members < 2) {
          readPreference = 'secondaryPreferred';
          const note = `${s.name}: the app reads with readPreference secondary; this target has no secondary, so the client uses secondaryPreferred (the driver still sends $readPreference)`;
          summary.notes.push(note);
          log(note);
        }
        if (readPreference) summary.readPreference = readPreference;
        if (s.client.connect === 'tls' && !proxy) summary.notes.push(`${s.name}: the app connects over TLS; without --through-proxy the client uses the target's own connection string (TLS only if it asks for it)`);
        if (s.client.connect === 'replica-set' && !setName) summary.notes.push(`${s.name}: the app connects by host list and replicaSet; this target is not a replica set, so the client connects directly`);
        const hosts = proxy ? proxy.members.map((m) => m.address) : undefined;
        const uri = clientUri(target!.uri, { hosts, replicaSet: s.client.connect === 'replica-set' ? setName : undefined, tlsCaFile: cert?.certFile, app: s.app });
        const client = new MongoClient(uri, {
          serverSelectionTimeoutMS: 10_000,
          maxPoolSize: s.client.maxPoolSize ?? 4,
          ...(readPreference ? { readPreference } : {}),
          ...(s.client.driverInfo ? { driverInfo: { ...s.client.driverInfo } } : {}),
          ...(s.client.compressors ? { compressors: [...s.client.compressors] } : {}),
          ...(writer ? { monitorCommands: true } : {}),
        });
        clients.push(client);
        if (writer) (recorder ??= new DriverRecorder(writer)).attach(client, s.app);
        let legacy: LegacyClient | undefined;
        if (ops.some((o) => o.op === 'legacyFind') && proxy) {
          const [host, port] = splitAddress(proxy.address);
          legacy = new LegacyClient({ host, port, appName: s.app, driver: s.client.driverInfo ?? { name: 'legacy', version: '0' }, ...(cert ? { tls: { ca: cert.cert } } : {}) });
          legacies.push(legacy);
        }
        const db = client.db(s.db);
        for (const op of ops) {
          const r = await execute(db, op, legacy);
          if (!r.ok) {
            const key = `${op.op}: ${r.code ?? '-'} ${r.message.split('\n')[0]!.slice(0, 160)}`;
            summary.errors[key] = (summary.errors[key] ?? 0) + 1;
          }
          req.onProgress?.(++done, total);
        }
      }),
    );
    for (const l of legacies) await l.close();
    for (const c of clients.splice(0)) await c.close();
    let files: readonly string[] = [req.out];
    let recorded = 0;
    let dropped = 0;
    if (proxy) {
      await proxy.stop();
      files = [...proxy.files];
      recorded = proxy.stats.opsRecorded;
      dropped = proxy.stats.dropped;
      proxy = undefined;
    } else if (writer) {
      await writer.close();
      dropped = writer.dropped;
      recorded = recorder?.recorded ?? 0;
      writer = undefined;
    }
    return {
      files,
      recorded,
      dropped,
      target: { product: target.product, displayUri: target.displayUri, ...(setName ? { replicaSet: setName } : {}) },
      scenarios: plans.map(({ s, ops }) => {
        const x = summaries.get(s.name)!;
        return { name: s.name, app: s.app, db: s.db, documents: x.documents, operations: ops.length, errors: x.errors, ...(x.readPreference ? { readPreference: x.readPreference } : {}), notes: x.notes };
      }),
    };
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    throw new ScenarioError(`scenario run stopped: ${oneLine(err)}`, { cause: err });
  } finally {
    for (const l of legacies) await l.close().catch(() => undefined);
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await proxy?.stop().catch(() => undefined);
    await writer?.close().catch(() => undefined);
    await cert?.dispose().catch(() => undefined);
    await target?.stop().catch(() => undefined);
  }
}

/** The target as the proxy's upstream: a replica set is named, so the proxy rewrites hello for discovering clients. */
function proxyUpstream(uri: string, setName: string | undefined): string {
  const cs = new ConnectionString(uri);
  if (setName) {
    cs.searchParams.delete('directConnection');
    cs.searchParams.set('replicaSet', setName);
  }
  return cs.toString();
}

/**
 * The application's connection string: the target's (credentials and options kept),
 * or the proxy's listeners in its place; a host list and `replicaSet` for apps that
 * connect that way to a replica set, else `directConnection`; the app's appName.
 */
export function clientUri(targetUri: string, o: { hosts?: readonly string[]; replicaSet?: string; tlsCaFile?: string; app: string }): string {
  const cs = new ConnectionString(targetUri);
  const p = cs.searchParams;
  if (o.hosts) {
    cs.hosts = [...o.hosts];
    // The proxy's listener speaks TLS only when this run asked it to.
    for (const k of ['tls', 'ssl', 'tlsCAFile', 'tlsAllowInvalidCertificates', 'tlsAllowInvalidHostnames', 'tlsInsecure']) p.delete(k);
  }
  p.delete('directConnection');
  p.delete('replicaSet');
  if (o.replicaSet) p.set('replicaSet', o.replicaSet);
  else p.set('directConnection', 'true');
  if (o.tlsCaFile) {
    p.set('tls', 'true');
    p.set('tlsCAFile', o.tlsCaFile);
  }
  p.set('appName', o.app);
  return cs.toString();
}

function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), Number(address.slice(colon + 1))];
}

