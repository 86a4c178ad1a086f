/**
 * The normalised plan tree: one model for every explain format the supported servers
 * return (4.2 classic `winningPlan`, 5.0+ `queryPlan`/`slotBasedPlan`, 8.0 express,
 * aggregation `stages`, sharded `shards`, FerretDB's SQLite and PostgreSQL plans), so
 * that two versions' plans of one shape can be compared node by node.
 *
 * Kept: what the plan does (stage kind, index, key pattern, bounds, direction, sort
 * pattern, limits, residual filter present). Dropped: what differs between two
 * explains of the same plan (planNodeId, isCached, indexVersion, slot names, hashes,
 * timings, `works`), as `analyze_plan.js` of the server's own tests does.
 */
export const PLAN_KINDS = Object.freeze([
  'COLLSCAN',
  'INDEX_SCAN',
  'FETCH',
  'FILTER',
  'SORT',
  'MERGE_SORT',
  'OR',
  'AND',
  'LIMIT',
  'SKIP',
  'PROJECTION',
  'SHARDING_FILTER',
  'GROUP',
  'LOOKUP',
  'UNWIND',
  'COUNT',
  'WRITE',
  'EOF',
  'SHARD_ROUTER',
  'PIPELINE_STAGE',
  'OTHER',
] as const);
export type PlanKind = (typeof PLAN_KINDS)[number];

/** How the server ran the query: the explain format it answered in. */
export type PlanEngine = 'classic' | 'sbe' | 'express' | 'ferretdb-sqlite' | 'ferretdb-pg' | 'ferretdb';

export interface PlanNode {
  readonly kind: PlanKind;
  /** The stage as the server named it (`IXSCAN`, `IDHACK`, `$group`, `Seq Scan`, …). */
  readonly stage: string;
  /** Index scans: the index name (`_id_` for IDHACK). */
  readonly index?: string;
  /** Index scans: the key pattern as `{ a: 1, b: -1 }`, whichever way the server wrote it. */
  readonly keyPattern?: string;
  /** Index scans: bounds per field, `a: [5, 5]; b: [MinKey, MaxKey]`. */
  readonly bounds?: string;
  readonly direction?: string;
  /** Sort (and merge sort): the sort pattern, `{ b: 1 }`. */
  readonly sortPattern?: string;
  /** A residual predicate is applied at this node. */
  readonly filter?: boolean;
  /** Other facts worth showing (limit amount, lookup `from`, shard name, write root counters' names…). */
  readonly attrs?: Readonly<Record<string, string | number | boolean>>;
  readonly children: readonly PlanNode[];
}

export interface PlanMetrics {
  readonly nReturned?: number;
  readonly keysExamined?: number;
  readonly docsExamined?: number;
  readonly executionTimeMillis?: number;
  /** false when the server reported `executionSuccess: false`. */
  readonly success?: boolean;
  readonly errorMessage?: string;
}

export interface PlanSummary {
  readonly engine: PlanEngine;
  /** The server version the explain names, when it names one (`serverInfo.version`; FerretDB's own). */
  readonly server?: string;
  readonly root: PlanNode;
  /** Plans the planner considered and rejected. */
  readonly rejected: number;
  readonly metrics?: PlanMetrics;
  /** FerretDB: which parts of the query its backend evaluated. */
  readonly pushdown?: { readonly filter: boolean; readonly sort: boolean; readonly limit: boolean };
}

/** Depth-first walk with each node's path (`0`, `0.1`, …: child indexes from the root). */
export function* walkPlan(node: PlanNode, path = '0'): Generator<{ node: PlanNode; path: string }> {
  yield { node, path };
  for (let i = 0; i < node.children.length; i++) yield* walkPlan(node.children[i]!, `${path}.${i}`);
}

/** One line per node: `IXSCAN a_1 { a: 1 } a: [5, 5]`. */
export function nodeLabel(node: PlanNode): string {
  const parts: string[] = [node.stage === node.kind ? node.kind : `${node.kind} (${node.stage})`];
  if (node.index !== undefined) parts.push(node.index);
  if (node.keyPattern !== undefined) parts.push(node.keyPattern);
  if (node.bounds !== undefined) parts.push(node.bounds);
  if (node.direction !== undefined && node.direction !== 'forward') parts.push(node.direction);
  if (node.sortPattern !== undefined) parts.push(`sort ${node.sortPattern}`);
  if (node.filter) parts.push('+filter');
  for (const [k, v] of Object.entries(node.attrs ?? {})) parts.push(`${k}=${String(v)}`);
  return parts.join(' ');
}

/** The tree as indented lines, two spaces a level. */
export function planLines(node: PlanNode, depth = 0, out: string[] = []): string[] {
  out.push(`${'  '.repeat(depth)}${nodeLabel(node)}`);
  for (const c of node.children) planLines(c, depth + 1, out);
  return out;
}

/** The tree in one line, children in brackets: `FETCH(INDEX_SCAN[a_1])`: compact for tests and tables. */
export function planSignature(node: PlanNode): string {
  const head = node.kind === 'INDEX_SCAN' ? `INDEX_SCAN[${node.index ?? '?'}]` : node.kind === 'PIPELINE_STAGE' || node.kind === 'OTHER' ? `${node.kind}[${node.stage}]` : node.kind;
  return node.children.length ? `${head}(${node.children.map(planSignature).join(',')})` : head;
}
