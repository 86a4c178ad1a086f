import type { PlansConfig } from '../config/schema.ts';
import { planSignature, walkPlan, type PlanNode, type PlanSummary } from './tree.ts';

/**
 * How the candidate's plan of one shape differs from the baseline's. Pure.
 *
 *   explain-failed   the candidate could not explain (a hint on an index it lacks, a timeout, executionSuccess false)
 *   collscan         the baseline used an index, the candidate scans the collection
 *   index-changed    another index (or key pattern) is used
 *   blocking-sort    a SORT stage appeared: the candidate sorts in memory what the baseline read in order
 *   docs-ratio       documents examined per document returned grew by more than `ratioFactor`
 *   pushdown-lost    FerretDB: a filter, sort or limit its backend evaluated is now evaluated by FerretDB
 *   shape-changed    the trees differ otherwise (stages added, removed or reordered)
 *   engine-changed   classic ↔ SBE ↔ express, or two different products: the same plan may read differently
 *
 * Each kind has a level from the config (`plans.levels`); `off` drops it. Plans of two
 * different products (FerretDB and MongoDB) are not compared beyond saying so.
 */
export type PlanChangeKind = keyof PlansConfig['levels'];
export type PlanLevel = PlansConfig['levels'][PlanChangeKind];

export interface PlanChange {
  readonly kind: PlanChangeKind;
  readonly level: Exclude<PlanLevel, 'off'>;
  readonly message: string;
  /** Paths (see walkPlan) of the nodes the change is about, in each tree. */
  readonly baselineNodes: readonly string[];
  readonly candidateNodes: readonly string[];
}

export interface PlanError {
  readonly message: string;
  readonly code?: number;
  readonly codeName?: string;
  readonly timedOut?: boolean;
}

/** One explain on one target: the plan, or why there is none. */
export type PlanOutcome = { readonly ok: true; readonly plan: PlanSummary; readonly ms?: number } | { readonly ok: false; readonly error: PlanError; readonly ms?: number };

export type DiffSettings = Pick<PlansConfig, 'levels' | 'ratioFactor'>;

const LEVEL_RANK: Readonly<Record<Exclude<PlanLevel, 'off'>, number>> = { info: 0, warn: 1, fail: 2 };

export function worstLevel(changes: readonly PlanChange[]): Exclude<PlanLevel, 'off'> | 'same' {
  let worst: Exclude<PlanLevel, 'off'> | 'same' = 'same';
  for (const c of changes) if (worst === 'same' || LEVEL_RANK[c.level] > LEVEL_RANK[worst]) worst = c.level;
  return worst;
}

export function diffPlans(baseline: PlanOutcome | undefined, candidate: PlanOutcome | undefined, settings: DiffSettings): PlanChange[] {
  const out: PlanChange[] = [];
  const add = (kind: PlanChangeKind, message: string, baselineNodes: readonly string[] = [], candidateNodes: readonly string[] = [], cap?: 'info'): void => {
    const level = settings.levels[kind];
    if (level === 'off') return;
    out.push({ kind, level: cap ?? level, message, baselineNodes, candidateNodes });
  };
  const bFail = failure(baseline);
  const cFail = failure(candidate);
  if (bFail && cFail) return out; // nothing to compare: both sides failed
  if (cFail) {
    add('explain-failed', `the candidate's explain failed: ${cFail}`);
    return out;
  }
  if (bFail) {
    // Not a regression of the candidate; shown so the missing comparison is explained.
    add('explain-failed', `the baseline's explain failed: ${bFail}`, [], [], 'info');
    return out;
  }
  const b = (baseline as { plan: PlanSummary }).plan;
  const c = (candidate as { plan: PlanSummary }).plan;
  if (isFerretDb(b) !== isFerretDb(c)) {
    add('engine-changed', `different products (${b.engine} and ${c.engine}): plans not compared`);
    return out;
  }
  // FerretDB without a table to plan names no backend (`ferretdb`): not an engine of its own.
  if (b.engine !== c.engine && b.engine !== 'ferretdb' && c.engine !== 'ferretdb') add('engine-changed', `explained by ${b.engine} on the baseline, ${c.engine} on the candidate`);

  const bIndex = nodesOf(b.root, (n) => n.kind === 'INDEX_SCAN');
  const cIndex = nodesOf(c.root, (n) => n.kind === 'INDEX_SCAN');
  const bColl = nodesOf(b.root, (n) => n.kind === 'COLLSCAN');
  const cColl = nodesOf(c.root, (n) => n.kind === 'COLLSCAN');
  let structural = false;
  if (bIndex.length > 0 && cColl.length > bColl.length) {
    add('collscan', `index scan became a collection scan (baseline used ${indexNames(bIndex)})`, bIndex.map((x) => x.path), cColl.map((x) => x.path));
    structural = true;
  } else if (bIndex.length > 0 && cIndex.length > 0 && indexNames(bIndex) !== indexNames(cIndex)) {
    add('index-changed', `index ${indexNames(bIndex)} → ${indexNames(cIndex)}`, bIndex.map((x) => x.path), cIndex.map((x) => x.path));
    structural = true;
  }
  const bSort = nodesOf(b.root, (n) => n.kind === 'SORT');
  const cSort = nodesOf(c.root, (n) => n.kind === 'SORT');
  if (cSort.length > bSort.length) {
    add('blocking-sort', `a blocking sort appeared${cSort[0]!.node.sortPattern ? ` (${cSort[0]!.node.sortPattern})` : ''}`, [], cSort.map((x) => x.path));
    structural = true;
  }
  const bRatio = docsRatio(b);
  const cRatio = docsRatio(c);
  if (bRatio !== undefined && cRatio !== undefined && cRatio > Math.max(bRatio, 1) * settings.ratioFactor) {
    add('docs-ratio', `documents examined per document returned grew from ${fmt(bRatio)} to ${fmt(cRatio)} (more than ×${settings.ratioFactor})`);
  }
  if (b.pushdown && c.pushdown) {
    const lost = (['filter', 'sort', 'limit'] as const).filter((k) => b.pushdown![k] && !c.pushdown![k]);
    if (lost.length) add('pushdown-lost', `no longer pushed down to the backend: ${lost.join(', ')}`);
  }
  if (!structural && planSignature(b.root) !== planSignature(c.root)) {
    const marks = changedNodes(b.root, c.root);
    add('shape-changed', `plan ${planSignature(b.root)} → ${planSignature(c.root)}`, marks.baseline, marks.candidate);
  }
  return out;
}

function failure(o: PlanOutcome | undefined): string | undefined {
  if (!o) return 'not explained';
  if (!o.ok) return o.error.timedOut ? `timed out (${o.error.message})` : `${o.error.codeName ? `${o.error.codeName}: ` : ''}${o.error.message}`;
  if (o.plan.metrics?.success === false) return `executionSuccess false${o.plan.metrics.errorMessage ? `: ${o.plan.metrics.errorMessage}` : ''}`;
  return undefined;
}

function isFerretDb(p: PlanSummary): boolean {
  return p.engine.startsWith('ferretdb');
}

function nodesOf(root: PlanNode, pred: (n: PlanNode) => boolean): { node: PlanNode; path: string }[] {
  return [...walkPlan(root)].filter((x) => pred(x.node));
}

function indexNames(scans: readonly { node: PlanNode }[]): string {
  return [...new Set(scans.map((s) => `${s.node.index ?? '?'}${s.node.keyPattern ? ` ${s.node.keyPattern}` : ''}`))].sort().join(', ');
}

function docsRatio(p: PlanSummary): number | undefined {
  const m = p.metrics;
  if (m?.docsExamined === undefined || m.nReturned === undefined) return undefined;
  return m.docsExamined / Math.max(1, m.nReturned);
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(2).replace(/\.?0+$/, '');
}

/** Nodes that differ when both trees are laid over each other child by child: what the report marks. */
export function changedNodes(a: PlanNode | undefined, b: PlanNode | undefined, path = '0', out = { baseline: [] as string[], candidate: [] as string[] }): { baseline: string[]; candidate: string[] } {
  if (!a || !b) {
    for (const x of a ? walkPlan(a, path) : []) out.baseline.push(x.path);
    for (const x of b ? walkPlan(b, path) : []) out.candidate.push(x.path);
    return out;
  }
  if (a.kind !== b.kind || a.index !== b.index || (a.kind === 'PIPELINE_STAGE' && a.stage !== b.stage)) {
    out.baseline.push(path);
    out.candidate.push(path);
  }
  for (let i = 0; i < Math.max(a.children.length, b.children.length); i++) changedNodes(a.children[i], b.children[i], `${path}.${i}`, out);
  return out;
}
