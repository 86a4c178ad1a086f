import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MongoClient } from 'mongodb';
import { startProxy } from '../capture/proxy/index.ts';
import type { Config } from '../config/schema.ts';
import { DemoError, oneLine } from '../errors.ts';
import { explainRun } from '../plans/run-plans.ts';
import { replay } from '../replay/run.ts';
import { renderReport } from '../report/run-report.ts';
import type { ReportDocument } from '../report/schema.ts';
import { startTarget } from '../targets/index.ts';
import { pickDemoServer } from './pick-server.ts';
import type { RunningTarget } from '../targets/types.ts';
import { ARCHIVED_ORDERS_ON_CANDIDATE, CHANGED_DOCUMENT, DEMO_DB, DEMO_SEED, MISSING_INDEX, seed } from '../../scenarios/demo/dataset.ts';
import { runWorkload, workloadTotal } from '../../scenarios/demo/workload.ts';
import { DEMO_REPORTS_DIR } from './defaults.ts';

export const DEMO_APP = 'shop-monolith';

export interface DemoOptions {
  /** Target kind for the three local servers (default: the first usable of ferretdb, memory-server, container). */
  readonly server?: string;
  /** Parent of `demo-<timestamp>/` (default DEMO_REPORTS_DIR). */
  readonly reportsDir?: string;
  readonly config: Config;
  /** Stage lines and progress (stderr in the CLI). */
  readonly log: (line: string) => void;
  readonly progress?: (stage: string, done: number, total: number) => void;
  readonly now?: () => Date;
}

export interface DemoResult {
  readonly dir: string;
  readonly html: string;
  readonly files: Readonly<Record<string, string>>;
  readonly doc: ReportDocument;
}

/**
 * The main job on an embedded default: three local servers (the "production" the
 * workload runs on, a baseline clone and a candidate clone that differs in known
 * ways), the seeded dataset, the built-in workload through the recording proxy into a
 * capture, a replay of that capture against baseline and candidate, and every report
 * format under reports/demo-<timestamp>/.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { log } = options;
  const stamp = (options.now ?? (() => new Date()))().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');
  const dir = resolve(options.reportsDir ?? DEMO_REPORTS_DIR, `demo-${stamp}`);
  await mkdir(dir, { recursive: true });
  const servers: RunningTarget[] = [];
  const clients: MongoClient[] = [];
  const t0 = performance.now();
  const stage = (n: number, text: string): void => log(`[${n}/5] ${text} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  try {
    const kind = options.server ?? (await pickDemoServer(log));
    stage(1, `starting three local ${kind} servers: production, baseline, candidate`);
    const [source, baseline, candidate] = await Promise.all(['production', 'baseline', 'candidate'].map((name) => startTarget(`${name}=${kind}`, { log: () => undefined })));
    servers.push(source!, baseline!, candidate!);
    for (const s of servers) log(`      ${s.name}: ${s.product} at ${s.displayUri}`);

    stage(2, `seeding database ${DEMO_DB} (seed ${DEMO_SEED}); the candidate lacks index ${MISSING_INDEX.name} on ${MISSING_INDEX.collection}, holds ${CHANGED_DOCUMENT.collection} ${CHANGED_DOCUMENT._id} with ${CHANGED_DOCUMENT.field}=${CHANGED_DOCUMENT.candidate}, and ${ARCHIVED_ORDERS_ON_CANDIDATE} archived orders no query reads`);
    await Promise.all(
      [source!, baseline!, candidate!].map(async (s) => {
        const c = new MongoClient(s.uri, { serverSelectionTimeoutMS: 10_000 });
        clients.push(c);
        await seed(c.db(DEMO_DB), { candidate: s === candidate });
      }),
    );

    stage(3, 'driving the built-in workload through the recording proxy');
    const capturePath = join(dir, 'capture.jsonl.gz');
    const proxy = await startProxy({
      upstream: source!.uri,
      capture: {
        path: capturePath,
        header: {
          app: DEMO_APP,
          source: { kind: 'proxy', host: new URL(source!.displayUri.replace(/^mongodb:/, 'http:')).host },
          startedAt: new Date().toISOString(),
          redaction: { mode: 'none' },
          replyMode: 'full',
          serverVersion: source!.serverVersion,
        },
      },
      app: DEMO_APP,
      replyMode: 'full',
    });
    let dropped = 0;
    try {
      const app = new MongoClient(`mongodb://${proxy.address}/?directConnection=true&appName=${DEMO_APP}`, { maxPoolSize: 4, serverSelectionTimeoutMS: 10_000 });
      clients.push(app);
      const total = workloadTotal();
      let done = 0;
      await runWorkload(app.db(DEMO_DB), DEMO_SEED, () => options.progress?.('workload', ++done, total));
      await app.close();
    } finally {
      await proxy.stop();
      dropped = proxy.stats.dropped;
    }
    log(`      ${proxy.stats.opsRecorded} operations recorded, ${dropped} dropped: ${proxy.files.join(', ')}`);
    if (proxy.stats.opsRecorded === 0) throw new DemoError('the proxy recorded no operation; see the lines above');

    stage(4, 'replaying the capture against baseline and candidate (writes allowed: these are throw-away clones), then explaining each read shape on both');
    const runDir = join(dir, 'run');
    await replay({
      captures: [...proxy.files],
      baselines: [`baseline=${baseline!.uri}`],
      candidates: [`candidate=${candidate!.uri}`],
      out: runDir,
      allowWrites: true,
      // Low concurrency: latency is compared per operation and two cores are shared.
      concurrency: 4,
      log: (l) => log(`      ${l}`),
      onProgress: (p) => options.progress?.('replay', p.done, p.total),
    });
    // How each read shape is executed on both sides: the report's Plans section.
    const plans = await explainRun(runDir, { config: options.config.plans, uris: { baseline: baseline!.uri, candidate: candidate!.uri }, log: (l) => log(`      ${l}`) });
    log(`      plans: ${plans.result.shapes.length} shape(s) explained on both targets`);

    stage(5, 'writing the report: md, html, json, junit');
    // Drops come from the capture's footer, as for any report.
    const rendered = await renderReport(runDir, options.config, { formats: 'md,html,json,junit', out: dir, log: (l) => log(`      ${l}`) });
    const files: Record<string, string> = { capture: capturePath, run: runDir };
    for (const [k, v] of Object.entries(rendered.files)) files[k] = v;
    await writeFile(join(dir, 'README.txt'), DEMO_NOTE);
    log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return { dir, html: rendered.files.html!, files, doc: rendered.doc };
  } catch (err) {
    if (err instanceof DemoError) throw err;
    throw new DemoError(`demo stopped: ${oneLine(err)}`, { cause: err });
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  }
}

const DEMO_NOTE = `mongo-compat demo output
capture.jsonl.gz  the workload as the proxy recorded it
run/              the replay against baseline and candidate (run.json, outcomes, histograms)
report.html       the report (self-contained), also report.md, report.json, junit.xml
Known differences of the candidate: index ${MISSING_INDEX.name} on ${MISSING_INDEX.collection} is missing,
${CHANGED_DOCUMENT.collection} ${CHANGED_DOCUMENT._id} has ${CHANGED_DOCUMENT.field}=${CHANGED_DOCUMENT.candidate} (baseline ${CHANGED_DOCUMENT.baseline}),
and ${ARCHIVED_ORDERS_ON_CANDIDATE} archived orders no query reads make its orders scans longer.
`;
