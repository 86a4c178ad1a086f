import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { BSON } from 'mongodb';
import type { PlansConfig } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import { readRun, readRunOutcomes, type RunIssue } from '../model/run/reader.ts';
import { diffPlans, worstLevel, type PlanOutcome } from './diff.ts';
import { openExplainTarget, type ExplainTarget } from './explain.ts';
import { PLANS_FILE, PLANS_FORMAT, PLANS_VERSION, type PlanShapeResult, type PlansResult, type ShapeLevel } from './result.ts';
import { ShapePicker, type PlanPick } from './select.ts';

export interface PlansOptions {
  readonly config: PlansConfig;
  /** Explains in flight per target. */
  readonly concurrency?: number;
  readonly log?: (line: string) => void;
  readonly now?: () => Date;
  /** Opens a target; tests and the bench pass their own. */
  readonly open?: (name: string, uri: string, timeLimitMs: number) => ExplainTarget;
  /**
   * Connection strings by target name, over run.json's. run.json keeps each target's
   * URI with its credentials redacted: a target that needs them is named again here.
   */
  readonly uris?: Readonly<Record<string, string>>;
}

/**
 * `mongo-compat plans RUN_DIR`: picks the operations to explain from the run's
 * outcomes (streamed), explains each on every target of run.json, diffs every
 * candidate's plan against the baseline's, writes RUN_DIR/plans.json.
 */
export async function explainRun(runDir: string, options: PlansOptions): Promise<{ file: string; result: PlansResult }> {
  const { run } = await readRun(runDir);
  const baseline = run.targets.find((t) => t.role === 'baseline');
  if (!baseline) throw new UsageError(`${join(runDir, 'run.json')}: field targets: no baseline to explain against`);
  const cfg = options.config;
  const candidates = run.targets.filter((t) => t.role === 'candidate').map((t) => t.name);
  const open = options.open ?? openExplainTarget;
  // Opened first: connections are made while the outcomes are read.
  const targets = run.targets.map((t) => open(t.name, options.uris?.[t.name] ?? t.uri, cfg.timeLimitMs));
  try {
    const picker = new ShapePicker(cfg, baseline.name);
    const issues: RunIssue[] = [];
    const limits = targets.map(() => pLimit(Math.max(1, options.concurrency ?? 4)));
    const picks: PlanPick[] = [];
    // Per target one list of explains in flight, started as soon as a pick is final: explaining overlaps reading the run.
    const pending: Promise<PlanOutcome>[][] = targets.map(() => []);
    const dispatch = (p: PlanPick): void => {
      picks.push(p);
      targets.forEach((t, j) => pending[j]!.push(limits[j]!(() => t.explain(p.db, p.explain))));
    };
    for await (const o of readRunOutcomes(runDir, { onIssue: (i) => issues.push(i) })) {
      const p = picker.add(o);
      if (p) dispatch(p);
    }
    for (const i of issues.slice(0, 5)) options.log?.(`${i.code}: ${i.file}:${i.line}: ${i.message} (skipped)`);
    for (const p of picker.leftovers()) dispatch(p);
    const perTarget = await Promise.all(pending.map((list) => Promise.all(list)));
    const shapes: PlanShapeResult[] = picks.map((p, i) => {
      const outcomes: Record<string, PlanOutcome> = {};
      targets.forEach((t, j) => (outcomes[t.name] = perTarget[j]![i]!));
      const changes: Record<string, ReturnType<typeof diffPlans>> = {};
      const level: Record<string, ShapeLevel> = {};
      for (const c of candidates) {
        changes[c] = diffPlans(outcomes[baseline.name], outcomes[c], cfg);
        level[c] = worstLevel(changes[c]);
      }
      return {
        shape: p.shape,
        shapeText: p.shapeText,
        cmd: p.cmd,
        ...(p.app !== undefined ? { app: p.app } : {}),
        db: p.db,
        ...(p.coll !== undefined ? { coll: p.coll } : {}),
        seq: p.seq,
        write: p.write,
        verbosity: p.verbosity,
        command: BSON.EJSON.stringify(p.explain.explain as BSON.Document, { relaxed: true }),
        targets: outcomes,
        changes,
        level,
      };
    });
    const all = shapes.flatMap((s) => Object.values(s.targets));
    const changed: Record<ShapeLevel, number> = { fail: 0, warn: 0, info: 0, same: 0 };
    for (const s of shapes) for (const c of candidates) changed[s.level[c]!]++;
    const result: PlansResult = {
      format: PLANS_FORMAT,
      version: PLANS_VERSION,
      generatedAt: (options.now ?? (() => new Date()))().toISOString(),
      verbosity: cfg.verbosity,
      timeLimitMs: cfg.timeLimitMs,
      baseline: baseline.name,
      candidates,
      targets: run.targets.map((t) => ({ name: t.name, role: t.role, ...(t.serverVersion ? { serverVersion: t.serverVersion } : {}), ...(t.product ? { product: t.product } : {}) })),
      shapes,
      counts: {
        shapes: new Set(shapes.map((s) => s.shape)).size,
        explains: all.length,
        failed: all.filter((o) => !o.ok).length,
        timedOut: all.filter((o) => !o.ok && o.error.timedOut).length,
        changed,
      },
    };
    const file = join(runDir, PLANS_FILE);
    await writeFile(file, `${JSON.stringify(result, null, 1)}\n`);
    return { file, result };
  } finally {
    await Promise.all(targets.map((t) => t.close()));
  }
}
