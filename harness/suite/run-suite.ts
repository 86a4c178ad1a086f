import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { glob } from 'tinyglobby';
import type { Config } from '../config/schema.ts';
import { oneLine, SuiteError } from '../errors.ts';
import { mergeRuns } from '../model/run/merge.ts';
import { readRun } from '../model/run/reader.ts';
import { replay } from '../replay/run.ts';
import type { ShardSpec } from '../replay/shard.ts';
import { buildReport } from '../report/build.ts';
import { parseFormats } from '../report/registry.ts';
import type { ReportDocument } from '../report/schema.ts';
import { writeReport } from '../report/write.ts';
import { TOOL } from '../store/tool.ts';
import { parseTargetSpec } from '../targets/index.ts';
import { acceptancesInForce, compareCell, suiteExit, type Acceptance, type FailOn } from './compare-history.ts';
import { cellOf, errorCell } from './cells.ts';
import { runHook } from './hooks.ts';
import { appendHistory, readHistory, type HistoryCell, type HistoryEntry } from './history.ts';
import { INDEX_FORMAT, INDEX_VERSION, renderIndexHtml, renderIndexJson, renderIndexMarkdown, p99TrendOf, trendOf, type IndexDocument } from './index-page.ts';

/**
 * `mongo-compat suite`: for each app of the config's `suite:` section, replay its
 * captures against the baseline and every candidate at once (pre-flight, the write
 * guard and state after writes come with replay), build its report (compare and lint
 * findings come with the report) into OUT/<app>/, then compare every app × candidate
 * with the last comparable run of the history, append this run to the history and
 * write the index page OUT/index.{html,md,json}.
 *
 * An app whose captures match nothing or whose replay fails becomes error cells with
 * a one-line error; the other apps still run.
 */
export interface SuiteRequest {
  readonly config: Config;
  /** Default: config `suite.out`. */
  readonly out?: string;
  /** Default: config `suite.failOn`. */
  readonly failOn?: FailOn;
  /** Group ids acknowledged for this run only (`--accept`). */
  readonly accept?: readonly string[];
  /**
   * Capture files of a scenario app. harness/ may not import scenarios/ (the layering),
   * so the command line passes the resolver in.
   */
  readonly resolveScenario?: (name: string) => Promise<readonly string[]>;
  /**
   * Runs after an app's replay and before its report, on its run directory: where the
   * plans stage (`explainRun`, harness/plans) plugs in, so that the report carries plan
   * changes. After a replay it runs while the targets are still up (replay's `afterRun`),
   * with their connection strings; after a merge, with none (run.json's are used).
   */
  readonly afterReplay?: (runDir: string, app: string, uris?: Readonly<Record<string, string>>) => Promise<void>;
  /**
   * Replay only the connections of one shard of every app into OUT/<app>/run and stop
   * there: no report, history or index (`suite --shard I/N`, one job of a scheduler's matrix).
   */
  readonly shard?: ShardSpec;
  /**
   * Instead of replaying, merge each app's shard runs DIR/<app>/run of these suite
   * output directories, then report, compare with the history and write the index (`suite --merge`).
   */
  readonly merge?: readonly string[];
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
}

export interface SuiteResult {
  readonly index: IndexDocument;
  readonly files: { readonly html: string; readonly md: string; readonly json: string; readonly history: string };
}

/** What `suite --shard` leaves: per app its shard's run directory. */
export interface SuiteShardResult {
  readonly shard: ShardSpec;
  readonly runs: readonly { readonly app: string; readonly run: string | null; readonly status: string; readonly error?: string }[];
}

export async function runSuite(req: SuiteRequest): Promise<SuiteResult> {
  if (req.shard) throw new SuiteError('a shard of a suite has no index: call runSuiteShard');
  const r = await suiteCore(req);
  return r as SuiteResult;
}

export async function runSuiteShard(req: SuiteRequest & { readonly shard: ShardSpec }): Promise<SuiteShardResult> {
  if (req.merge) throw new SuiteError('--shard and --merge go apart: shards replay, the merge reports');
  return (await suiteCore(req)) as SuiteShardResult;
}

async function suiteCore(req: SuiteRequest): Promise<SuiteResult | SuiteShardResult> {
  const log = req.log ?? (() => undefined);
  const now = req.now ?? (() => new Date());
  const sc = req.config.suite;
  const out = req.out ?? sc.out;
  const failOn = req.failOn ?? sc.failOn;
  const apps = Object.entries(sc.apps);
  if (apps.length === 0) throw new SuiteError('suite.apps: no apps configured; name at least one app with a capture or a scenario');
  if (!sc.baseline) throw new SuiteError('suite.baseline: no baseline target configured');
  if (sc.candidates.length === 0) throw new SuiteError('suite.candidates: no candidate targets configured');
  const baseline = targetArg(sc.baseline, req.config);
  const candidates = sc.candidates.map((c) => targetArg(c, req.config));
  const candidateNames = candidates.map((c) => parseTargetSpec(c).name);
  const baselineName = parseTargetSpec(baseline).name;

  const started = now();
  const runId = `${started.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(2).toString('hex')}`;
  const { entries: history, warnings: historyWarnings } = await readHistory(sc.history);
  const warnings: string[] = [...historyWarnings];
  for (const w of historyWarnings) log(`warning: ${w}`);

  await mkdir(out, { recursive: true });
  const formats = parseFormats(req.config.report.formats.join(','));
  const cells: HistoryCell[] = [];
  const versions = new Map<string, string>();
  const targetVersions: Record<string, string> = {};
  let cut = false;
  const shardRuns: { app: string; run: string | null; status: string; error?: string }[] = [];
  for (const [app, opts] of apps) {
    const appDir = join(out, app);
    const errorCells = (message: string) => {
      log(`suite: ${app}: ${message}`);
      if (req.shard) shardRuns.push({ app, run: null, status: 'error', error: message });
      for (const candidate of candidateNames) cells.push(errorCell(app, candidate, message));
    };
    if (req.signal?.aborted) {
      cut = true;
      errorCells('not run: the suite was interrupted before this app');
      continue;
    }
    if (opts.run !== undefined) {
      // Replayed elsewhere (a shard replays nothing of it; the merge reports it once).
      if (req.shard) continue;
      try {
        const runDir = opts.run;
        log(`suite: ${app}: reporting the run in ${runDir} (nothing replayed)`);
        const { run } = await readRun(runDir);
        for (const t of run.targets) {
          versions.set(t.name, t.serverVersion ?? 'unknown');
          targetVersions[t.name] = t.serverVersion ?? 'unknown';
        }
        const doc = await buildReport(runDir, req.config);
        await writeReport(doc, formats, appDir);
        const report = `${app}/${formats.includes('html') ? 'report.html' : formats.includes('md') ? 'report.md' : 'report.json'}`;
        for (const candidate of candidateNames) {
          cells.push(run.targets.some((t) => t.name === candidate && t.role === 'candidate') ? cellOf(app, candidate, doc, report) : errorCell(app, candidate, `the run in ${runDir} has no candidate named ${candidate}`));
        }
      } catch (err) {
        errorCells(oneLine(err));
      }
      continue;
    }
    let captures: readonly string[];
    try {
      captures = opts.scenario !== undefined ? await scenarioCaptures(req, opts.scenario) : await expand(opts.capture ?? []);
      if (captures.length === 0) throw new SuiteError(`suite.apps.${app}.capture: ${(opts.capture ?? []).join(', ')} matches no file`);
    } catch (err) {
      errorCells(oneLine(err));
      continue;
    }
    // Before hooks: a baseline that cannot be prepared stops the app; a candidate, its own cell.
    const hook = (target: string, when: 'before' | 'after') => {
      const h = sc.hooks[target];
      const command = h?.[when];
      // A merge replays nothing: the shards ran the hooks around their replays.
      if (!h || !command || req.merge) return Promise.resolve(null);
      log(`suite: ${app}: ${when} hook of ${target}`);
      return runHook({
        command,
        env: { MONGO_COMPAT_TARGET: target, MONGO_COMPAT_RUN_ID: runId, MONGO_COMPAT_APP: app, MONGO_COMPAT_HOOK: when },
        logFile: join(appDir, 'hooks', `${target}.${when}.log`),
        timeoutMs: h.timeoutMs,
        what: `${when} hook of ${target}`,
      });
    };
    const baselineHook = await hook(baselineName, 'before');
    if (baselineHook) {
      errorCells(baselineHook);
      continue;
    }
    const hookErrors = new Map<string, string>();
    for (const name of candidateNames) {
      const e = await hook(name, 'before');
      if (e) {
        log(`suite: ${app}: ${e}`);
        hookErrors.set(name, e);
      }
    }
    const active = candidates.filter((_, i) => !hookErrors.has(candidateNames[i]!));
    const finishCells = (doc: ReportDocument | undefined, report: string, error = 'no report') => {
      for (const candidate of candidateNames) {
        const e = hookErrors.get(candidate);
        cells.push(e || !doc ? errorCell(app, candidate, e ?? error) : cellOf(app, candidate, doc, report));
      }
    };
    const afterHooks = async () => {
      for (const name of [baselineName, ...candidateNames.filter((n) => !hookErrors.has(n))]) {
        const e = await hook(name, 'after');
        if (e) {
          warnings.push(`${app}: ${e}`);
          log(`warning: ${app}: ${e}`);
        }
      }
    };
    if (active.length === 0) {
      await afterHooks();
      finishCells(undefined, '', 'every candidate stopped by its before hook');
      continue;
    }
    let doc: ReportDocument;
    try {
      log(`suite: ${app}: ${req.merge ? `merging ${req.merge.length} shard run(s) of` : `replaying ${captures.length} capture(s) against`} ${baselineName} and ${active.map((c) => parseTargetSpec(c).name).join(', ')}`);
      const runDir = join(appDir, 'run');
      const { run } = req.merge ? { run: await mergeRuns(req.merge.map((d) => join(d, app, 'run')), runDir) } : await replay({
        captures,
        baselines: [baseline],
        candidates: active,
        out: runDir,
        timing: opts.timing ?? req.config.replay.timing,
        concurrency: opts.concurrency ?? req.config.replay.concurrency,
        opTimeoutMs: opts.opTimeoutMs ?? req.config.replay.opTimeoutMs,
        allowWrites: opts.allowWrites ?? req.config.replay.allowWrites,
        mapDb: { ...req.config.replay.mapDb, ...(opts.mapDb ?? {}) },
        ...(req.shard ? { shard: req.shard } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
        ...(req.afterReplay && !req.shard ? { afterRun: (dir: string, uris: Readonly<Record<string, string>>) => req.afterReplay!(dir, app, uris) } : {}),
        log: (line) => log(`  ${line}`),
      });
      if (run.status === 'interrupted') cut = true;
      for (const t of run.targets) {
        versions.set(t.name, t.serverVersion ?? 'unknown');
        targetVersions[t.name] = t.serverVersion ?? 'unknown';
      }
      if (req.shard) {
        shardRuns.push({ app, run: runDir, status: run.status });
        await afterHooks();
        continue;
      }
      if (req.merge) await req.afterReplay?.(runDir, app);
      doc = await buildReport(runDir, req.config);
      await writeReport(doc, formats, appDir);
    } catch (err) {
      await afterHooks();
      log(`suite: ${app}: ${oneLine(err)}`);
      if (req.shard) shardRuns.push({ app, run: null, status: 'error', error: oneLine(err) });
      finishCells(undefined, '', oneLine(err));
      continue;
    }
    await afterHooks();
    finishCells(doc, `${app}/${formats.includes('html') ? 'report.html' : formats.includes('md') ? 'report.md' : 'report.json'}`);
  }

  if (req.shard) return { shard: req.shard, runs: shardRuns };

  const today = started.toISOString().slice(0, 10);
  const all: Acceptance[] = [...sc.accept, ...(req.accept ?? []).map((id) => ({ id, reason: 'accepted on the command line for this run' }))];
  const { byId, warnings: acceptWarnings } = acceptancesInForce(all, today);
  warnings.push(...acceptWarnings);
  for (const w of acceptWarnings) log(`warning: ${w}`);
  const changes = cells.map((c) => compareCell(c, history, byId));
  const exit = suiteExit(cells, changes, failOn, cut);
  const ended = now();
  const entry: HistoryEntry = {
    format: 'mongo-compat-suite-history',
    version: 1,
    runId,
    startedAt: started.toISOString(),
    endedAt: ended.toISOString(),
    tool: { name: TOOL.name, version: TOOL.version },
    targets: targetVersions,
    cells,
  };
  const historyFile = await appendHistory(sc.history, entry);
  const index: IndexDocument = {
    format: INDEX_FORMAT,
    version: INDEX_VERSION,
    runId,
    startedAt: entry.startedAt,
    endedAt: entry.endedAt,
    baseline: `${baselineName}${versions.has(baselineName) ? ` (${versions.get(baselineName)})` : ''}`,
    apps: apps.map(([a]) => a),
    candidates: candidateNames.map((name) => ({ name, version: versions.get(name) ?? 'unknown' })),
    cells: cells.map((c, i) => ({ ...c, changes: changes[i]!, trend: trendOf(history, c, sc.trendRuns), p99Trend: p99TrendOf(history, c, sc.trendRuns) })),
    failOn,
    exit,
    warnings,
    history: historyFile,
  };
  const files = { html: join(out, 'index.html'), md: join(out, 'index.md'), json: join(out, 'index.json'), history: historyFile };
  await Promise.all([writeFile(files.html, renderIndexHtml(index)), writeFile(files.md, renderIndexMarkdown(index)), writeFile(files.json, renderIndexJson(index))]);
  return { index, files };
}

/** A name of the config's `targets` becomes NAME=SPEC; anything else is a target spec already. */
function targetArg(value: string, config: Config): string {
  return !value.includes('=') && !value.includes('://') && config.targets[value] ? `${value}=${config.targets[value]}` : value;
}

/**
 * Capture files of the given paths or globs: each pattern's matches in lexicographic
 * order (rotated parts then come in order, harness/store/parts.ts), patterns in the
 * order given, each file once.
 */
async function expand(patterns: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of patterns) for (const f of (await glob([p], { absolute: true, expandDirectories: false })).sort()) if (!out.includes(f)) out.push(f);
  return out;
}

async function scenarioCaptures(req: SuiteRequest, name: string): Promise<readonly string[]> {
  if (!req.resolveScenario) throw new SuiteError(`scenario ${name}: scenario apps need the command line's scenario resolver`);
  return req.resolveScenario(name);
}
