import { readFerretDbExplain } from './read-ferretdb.ts';
import { asNumber, isDoc, keyPatternText, type Doc } from './values.ts';
import type { PlanEngine, PlanKind, PlanMetrics, PlanNode, PlanSummary } from './tree.ts';

/**
 * Reads an explain reply, whatever server and format answered, into a PlanSummary.
 * Never throws: a reply it cannot read is `{ ok: false, message }`, so one odd server
 * never stops the explaining of the others.
 *
 * Formats (../shared research notes "explain-formats", the server's explain.cpp,
 * plan_explainer_{impl,sbe,express}.cpp and cluster_explain.cpp):
 *
 *   { queryPlanner: { winningPlan: {stage, inputStage…} } }            classic, 4.2 → 8.0
 *   { queryPlanner: { winningPlan: { queryPlan: {…}, slotBasedPlan } } } SBE (5.1+); queryPlan read, slotBasedPlan never
 *   { queryPlanner: { winningPlan: { stage: SHARD_MERGE…, shards: [] } } } mongos find/count/distinct
 *   { stages: [ {$cursor: {queryPlanner…}}, {$sort…} ] }                 aggregation not fully pushed down
 *   { shards: { name: {…explain…} }, mergeType, splitPipeline }          aggregation through mongos
 *   { queryPlanner: {Plan…}, filterPushdown, serverInfo.ferretdbVersion }  FerretDB
 *
 * An aggregation pushed down whole answers like a find (top-level queryPlanner,
 * `optimizedPipeline: true`). test/fixtures/plans holds real replies of these formats,
 * each naming where it was published.
 */
export type ReadResult = { readonly ok: true; readonly plan: PlanSummary } | { readonly ok: false; readonly message: string };

/** Nesting deeper than this is not a plan a server wrote (and would blow the stack on garbage). */
const MAX_DEPTH = 200;

class Unreadable extends Error {}

export function readExplain(reply: unknown): ReadResult {
  try {
    return { ok: true, plan: readReply(reply, 0) };
  } catch (err) {
    return { ok: false, message: err instanceof Unreadable ? err.message : `unreadable explain (${(err as Error)?.message ?? String(err)})` };
  }
}

function readReply(reply: unknown, depth: number): PlanSummary {
  if (depth > MAX_DEPTH) throw new Unreadable('explain nested too deeply');
  if (!isDoc(reply)) throw new Unreadable('explain reply is not a document');
  if (reply.ok !== undefined && asNumber(reply.ok) === 0) {
    throw new Unreadable(`explain failed: ${typeof reply.errmsg === 'string' ? reply.errmsg : 'no message'}${reply.code !== undefined ? ` (code ${String(asNumber(reply.code))})` : ''}`);
  }
  const server = serverOf(reply);
  if (isFerretDb(reply)) {
    const f = readFerretDbExplain(reply);
    return { ...f, ...(server ? { server } : {}) };
  }
  if (Array.isArray(reply.stages)) return withServer(readStages(reply.stages, depth), server);
  if (!isDoc(reply.queryPlanner) && isDoc(reply.shards)) return withServer(readShardedAggregate(reply, depth), server);
  if (isDoc(reply.queryPlanner)) return withServer(readQueryPlanner(reply.queryPlanner, reply.executionStats, depth), server ?? shardServerOf(reply.queryPlanner));
  throw new Unreadable('explain has no queryPlanner, stages or shards');
}

function withServer(p: PlanSummary, server: string | undefined): PlanSummary {
  return server && !p.server ? { ...p, server } : p;
}

function serverOf(reply: Doc): string | undefined {
  const info = reply.serverInfo;
  if (!isDoc(info)) return undefined;
  if (typeof info.ferretdbVersion === 'string') return `FerretDB ${info.ferretdbVersion}`;
  return typeof info.version === 'string' ? info.version : undefined;
}

/** mongos finds name the version per shard only. */
function shardServerOf(qp: Doc): string | undefined {
  const wp = qp.winningPlan;
  const first = isDoc(wp) && Array.isArray(wp.shards) ? wp.shards[0] : undefined;
  return isDoc(first) ? serverOf(first) : undefined;
}

function isFerretDb(reply: Doc): boolean {
  return (isDoc(reply.serverInfo) && typeof reply.serverInfo.ferretdbVersion === 'string') || typeof reply.filterPushdown === 'boolean';
}

function readQueryPlanner(qp: Doc, exec: unknown, depth: number): PlanSummary {
  const wp = qp.winningPlan;
  if (!isDoc(wp)) throw new Unreadable('queryPlanner.winningPlan is missing');
  const stages = isDoc(exec) && isDoc(exec.executionStages) ? exec.executionStages : undefined;
  const { root, engine } = readWinningPlan(wp, depth + 1, stages);
  const rejected = Array.isArray(qp.rejectedPlans) ? qp.rejectedPlans.length : 0;
  const metrics = metricsOf(exec);
  return { engine, root, rejected, ...(metrics ? { metrics } : {}) };
}

/**
 * A winning plan: the classic tree, or the SBE `queryPlan` (its `slotBasedPlan` is internal
 * text, never read). `exec` is executionStats.executionStages: for a classic plan it is the
 * same tree with run-time facts (a SORT's usedDisk) that the winning plan does not carry; the
 * SBE executionStages is another tree altogether and is not paired.
 */
function readWinningPlan(wp: Doc, depth: number, exec?: Doc): { root: PlanNode; engine: PlanEngine } {
  if (isDoc(wp.queryPlan)) return { root: readNode(wp.queryPlan, depth + 1), engine: 'sbe' };
  const root = readNode(wp, depth + 1, exec);
  return { root, engine: root.stage.startsWith('EXPRESS_') ? 'express' : 'classic' };
}

function metricsOf(exec: unknown): PlanMetrics | undefined {
  if (!isDoc(exec)) return undefined;
  const m: { -readonly [K in keyof PlanMetrics]: PlanMetrics[K] } = {};
  const n = asNumber(exec.nReturned);
  if (n !== undefined) m.nReturned = n;
  const k = asNumber(exec.totalKeysExamined);
  if (k !== undefined) m.keysExamined = k;
  const d = asNumber(exec.totalDocsExamined);
  if (d !== undefined) m.docsExamined = d;
  const t = asNumber(exec.executionTimeMillis);
  if (t !== undefined) m.executionTimeMillis = t;
  if (typeof exec.executionSuccess === 'boolean') m.success = exec.executionSuccess;
  if (typeof exec.errorMessage === 'string') m.errorMessage = exec.errorMessage;
  if (m.success === undefined) {
    // mongos writes no executionSuccess of its own: each shard has one under executionStages.shards[].
    const shards = isDoc(exec.executionStages) && Array.isArray(exec.executionStages.shards) ? exec.executionStages.shards.filter(isDoc) : [];
    const told = shards.filter((s) => typeof s.executionSuccess === 'boolean');
    if (told.length) {
      const failed = told.find((s) => s.executionSuccess === false);
      m.success = !failed;
      if (failed && typeof failed.errorMessage === 'string') m.errorMessage = `${typeof failed.shardName === 'string' ? `${failed.shardName}: ` : ''}${failed.errorMessage}`;
    }
  }
  return Object.keys(m).length ? m : undefined;
}

const STAGE_KINDS: Readonly<Record<string, PlanKind>> = Object.freeze({
  COLLSCAN: 'COLLSCAN',
  IXSCAN: 'INDEX_SCAN',
  IDHACK: 'INDEX_SCAN',
  DISTINCT_SCAN: 'INDEX_SCAN',
  COUNT_SCAN: 'INDEX_SCAN',
  EXPRESS_IXSCAN: 'INDEX_SCAN',
  CLUSTERED_IXSCAN: 'INDEX_SCAN',
  EXPRESS_CLUSTERED_IXSCAN: 'INDEX_SCAN',
  FETCH: 'FETCH',
  MATCH: 'FILTER',
  SORT: 'SORT',
  SORT_MERGE: 'MERGE_SORT',
  OR: 'OR',
  AND_HASH: 'AND',
  AND_SORTED: 'AND',
  LIMIT: 'LIMIT',
  SKIP: 'SKIP',
  PROJECTION: 'PROJECTION',
  PROJECTION_DEFAULT: 'PROJECTION',
  PROJECTION_COVERED: 'PROJECTION',
  PROJECTION_SIMPLE: 'PROJECTION',
  SHARDING_FILTER: 'SHARDING_FILTER',
  GROUP: 'GROUP',
  EQ_LOOKUP: 'LOOKUP',
  EQ_LOOKUP_UNWIND: 'LOOKUP',
  UNWIND: 'UNWIND',
  COUNT: 'COUNT',
  RECORD_STORE_FAST_COUNT: 'COUNT',
  UPDATE: 'WRITE',
  DELETE: 'WRITE',
  BATCHED_DELETE: 'WRITE',
  TIMESERIES_MODIFY: 'WRITE',
  EXPRESS_UPDATE: 'WRITE',
  EXPRESS_DELETE: 'WRITE',
  EOF: 'EOF',
  SINGLE_SHARD: 'SHARD_ROUTER',
  SHARD_MERGE: 'SHARD_ROUTER',
  SHARD_MERGE_SORT: 'SHARD_ROUTER',
  SHARD_WRITE: 'SHARD_ROUTER',
});

/** The executionStages node that runs `raw`, when `exec` is one (same stage name). */
function sameStage(raw: Doc, exec: unknown): Doc | undefined {
  return isDoc(exec) && exec.stage === raw.stage ? exec : undefined;
}

function readNode(raw: Doc, depth: number, execIn?: Doc): PlanNode {
  const exec = sameStage(raw, execIn);
  if (depth > MAX_DEPTH) throw new Unreadable('plan nested too deeply');
  const stage = typeof raw.stage === 'string' ? raw.stage : 'unknown';
  const children: PlanNode[] = [];
  if (isDoc(raw.inputStage)) children.push(readNode(raw.inputStage, depth + 1, isDoc(exec?.inputStage) ? exec.inputStage : undefined));
  if (Array.isArray(raw.inputStages)) {
    const execChildren = Array.isArray(exec?.inputStages) ? exec.inputStages : [];
    raw.inputStages.forEach((c, i) => {
      if (isDoc(c)) children.push(readNode(c, depth + 1, isDoc(execChildren[i]) ? execChildren[i] : undefined));
    });
  }
  // SORT_KEY_GENERATOR (4.2 under every SORT; still in 6.0 shard plans of a sorted mongos
  // find, under PROJECTION_DEFAULT) and 3.x's KEEP_MUTATIONS are pass-through stages: the
  // same plan with or without them.
  if ((stage === 'SORT_KEY_GENERATOR' || stage === 'KEEP_MUTATIONS') && children.length === 1) return children[0]!;
  if (Array.isArray(raw.shards)) {
    const execShards = Array.isArray(exec?.shards) ? exec.shards.filter(isDoc) : [];
    for (const s of raw.shards) {
      if (!isDoc(s)) continue;
      const ran = execShards.find((e) => e.shardName === s.shardName);
      const plan = isDoc(s.winningPlan)
        ? readWinningPlan(s.winningPlan, depth + 1, isDoc(ran?.executionStages) ? ran.executionStages : undefined).root
        : isDoc(s.executionStages)
          ? readNode(s.executionStages, depth + 1)
          : undefined;
      if (plan) children.push(typeof s.shardName === 'string' ? { ...plan, attrs: { ...plan.attrs, shard: s.shardName } } : plan);
    }
  }
  const kind = STAGE_KINDS[stage] ?? 'OTHER';
  const node: { -readonly [K in keyof PlanNode]: PlanNode[K] } = { kind, stage, children };
  if (kind === 'INDEX_SCAN') {
    const index = stage === 'IDHACK' ? '_id_' : typeof raw.indexName === 'string' ? raw.indexName : stage.includes('CLUSTERED') ? '(clustered)' : undefined;
    if (index !== undefined) node.index = index;
    const kp = stage === 'IDHACK' ? '{ _id: 1 }' : keyPatternText(raw.keyPattern);
    if (kp !== undefined) node.keyPattern = kp;
    const b = boundsText(raw);
    if (b !== undefined) node.bounds = b;
  }
  if (typeof raw.direction === 'string') node.direction = raw.direction;
  if (stage === 'SORT' || stage === 'SORT_MERGE') {
    const sp = keyPatternText(raw.sortPattern);
    if (sp !== undefined) node.sortPattern = sp;
  }
  if (raw.filter !== undefined && raw.filter !== null) node.filter = true;
  const attrs = attrsOf(stage, raw, exec);
  if (attrs) node.attrs = attrs;
  return node;
}

function attrsOf(stage: string, raw: Doc, exec: Doc | undefined): Record<string, string | number | boolean> | undefined {
  const a: Record<string, string | number | boolean> = {};
  const limit = asNumber(raw.limitAmount);
  if (limit !== undefined && limit > 0) a.limit = limit;
  const skip = asNumber(raw.skipAmount);
  if (skip !== undefined && skip > 0) a.skip = skip;
  if (stage === 'EOF' && typeof raw.type === 'string') a.type = raw.type;
  if (stage === 'EQ_LOOKUP' || stage === 'EQ_LOOKUP_UNWIND') {
    if (typeof raw.foreignCollection === 'string') a.from = raw.foreignCollection.replace(/^[^.]*\./, '');
    if (typeof raw.strategy === 'string') a.strategy = raw.strategy;
  }
  // usedDisk (4.4+) is a run-time fact: only executionStages carries it, never the winning plan.
  if (stage === 'SORT' && (exec?.usedDisk === true || raw.usedDisk === true)) a.usedDisk = true;
  return Object.keys(a).length ? a : undefined;
}

/**
 * `a: [5, 5]; b: [MinKey, MaxKey]`, or COUNT_SCAN's key range `[{ a: 5, b: MaxKey } .. { a: 5, b: MinKey }]`.
 * COUNT_SCAN writes its range inside indexBounds as startKey/startKeyInclusive/endKey/
 * endKeyInclusive (real 5.0+ output), not as intervals per field. Express and clustered
 * scans have no bounds.
 */
function boundsText(raw: Doc): string | undefined {
  const b = raw.indexBounds;
  if (!isDoc(b)) return undefined;
  if (isDoc(b.startKey) || isDoc(b.endKey)) {
    const open = b.startKeyInclusive === false ? '(' : '[';
    const close = b.endKeyInclusive === false ? ')' : ']';
    return `${open}${keyPatternText(b.startKey) ?? '{}'} .. ${keyPatternText(b.endKey) ?? '{}'}${close}`;
  }
  return Object.entries(b)
    .map(([field, intervals]) => `${field}: ${Array.isArray(intervals) ? intervals.map(String).join(' | ') : String(intervals)}`)
    .join('; ');
}

const AGG_KINDS: Readonly<Record<string, PlanKind>> = Object.freeze({
  $sort: 'SORT',
  $group: 'GROUP',
  $bucket: 'GROUP',
  $bucketAuto: 'GROUP',
  $sortByCount: 'GROUP',
  $lookup: 'LOOKUP',
  $graphLookup: 'LOOKUP',
  $unwind: 'UNWIND',
  $limit: 'LIMIT',
  $skip: 'SKIP',
  $project: 'PROJECTION',
  $addFields: 'PROJECTION',
  $set: 'PROJECTION',
  $unset: 'PROJECTION',
  $match: 'FILTER',
});

/** `stages`: the `$cursor` (or `$geoNearCursor`) plan at the bottom, every later stage above the one before. */
function readStages(stages: readonly unknown[], depth: number): PlanSummary {
  let root: PlanNode | undefined;
  let engine: PlanEngine = 'classic';
  let rejected = 0;
  let metrics: PlanMetrics | undefined;
  for (const s of stages) {
    if (!isDoc(s)) continue;
    const name = Object.keys(s).find((k) => k.startsWith('$'));
    if (name === undefined) continue;
    const body = s[name];
    if ((name === '$cursor' || name === '$geoNearCursor') && isDoc(body)) {
      const inner = isDoc(body.queryPlanner) ? readQueryPlanner(body.queryPlanner, body.executionStats, depth + 1) : undefined;
      if (inner) {
        root = inner.root;
        engine = inner.engine;
        rejected = inner.rejected;
        metrics = inner.metrics;
      }
      continue;
    }
    const node: { -readonly [K in keyof PlanNode]: PlanNode[K] } = { kind: AGG_KINDS[name] ?? 'PIPELINE_STAGE', stage: name, children: root ? [root] : [] };
    if (name === '$sort' && isDoc(body)) {
      const sp = keyPatternText(body.sortKey);
      if (sp !== undefined) node.sortPattern = sp;
      const limit = asNumber(body.limit);
      if (limit !== undefined) node.attrs = { limit };
    }
    if (name === '$lookup' && isDoc(body) && typeof body.from === 'string') node.attrs = { from: body.from };
    if (name === '$limit') {
      const limit = asNumber(body);
      if (limit !== undefined) node.attrs = { limit };
    }
    // At executionStats a stage's run-time facts sit beside its body (6.0: usedDisk and
    // spills next to $sort and $group), not inside it.
    if ((name === '$sort' || name === '$group' || name === '$bucketAuto' || name === '$setWindowFields') && s.usedDisk === true) node.attrs = { ...node.attrs, usedDisk: true };
    root = node;
  }
  if (!root) throw new Unreadable('aggregation explain has no readable stage');
  return { engine, root, rejected, ...(metrics ? { metrics } : {}) };
}

/** Aggregation through mongos: `shards` keyed by shard name, each an explain of its own. */
function readShardedAggregate(reply: Doc, depth: number): PlanSummary {
  const shards = reply.shards as Doc;
  const children: PlanNode[] = [];
  let engine: PlanEngine = 'classic';
  const sum: { nReturned?: number; keysExamined?: number; docsExamined?: number } = {};
  for (const [name, explain] of Object.entries(shards)) {
    const p = readReply(explain, depth + 1);
    engine = p.engine;
    children.push({ ...p.root, attrs: { ...p.root.attrs, shard: name } });
    for (const k of ['nReturned', 'keysExamined', 'docsExamined'] as const) {
      const v = p.metrics?.[k];
      if (v !== undefined) sum[k] = (sum[k] ?? 0) + v;
    }
  }
  const stage = typeof reply.mergeType === 'string' ? `merge:${reply.mergeType}` : 'SHARD_MERGE';
  return { engine, root: { kind: 'SHARD_ROUTER', stage, children }, rejected: 0, ...(Object.keys(sum).length ? { metrics: sum } : {}) };
}
