import { isDoc, type Doc } from './values.ts';
import type { PlanKind, PlanNode, PlanSummary } from './tree.ts';

/**
 * FerretDB 1.24's explain (internal/handler/msg_explain.go): `queryPlanner` is its
 * backend's own plan, beside `filterPushdown`, `sortPushdown` and `limitPushdown`. It
 * ignores `verbosity` (no executionStats).
 *
 *   SQLite:      queryPlanner.Plan = EXPLAIN QUERY PLAN rows, "id=2 parent=0 notused=0 detail=SCAN items_3a79338f"
 *   PostgreSQL:  queryPlanner.Plan = EXPLAIN (FORMAT JSON) node, {"Node Type": "Seq Scan", "Plans": […]}
 *   no table:    queryPlanner = {}  (the collection does not exist: nothing to scan)
 *
 * Table names carry a hash of the collection name: they are not kept, so two servers'
 * plans of one collection compare equal.
 */
export function readFerretDbExplain(reply: Doc): Omit<PlanSummary, 'server'> {
  const pushdown = { filter: reply.filterPushdown === true, sort: reply.sortPushdown === true, limit: reply.limitPushdown === true };
  const qp = isDoc(reply.queryPlanner) ? reply.queryPlanner : {};
  if (Array.isArray(qp.Plan)) return { engine: 'ferretdb-sqlite', root: sqliteTree(qp.Plan), rejected: 0, pushdown };
  if (isDoc(qp.Plan)) return { engine: 'ferretdb-pg', root: pgNode(qp.Plan, 0), rejected: 0, pushdown };
  return { engine: 'ferretdb', root: { kind: 'EOF', stage: 'no table', attrs: { type: 'nonExistentNamespace' }, children: [] }, rejected: 0, pushdown };
}

const ROW = /^id=(\d+) parent=(\d+) notused=\d+ detail=(.*)$/s;

/** SQLite's query plan rows into a tree by `parent`; a temporary B-tree for ORDER BY sorts its siblings' output. */
function sqliteTree(rows: readonly unknown[]): PlanNode {
  interface Entry {
    readonly node: PlanNode;
    readonly children: Entry[];
  }
  const byId = new Map<string, Entry>();
  const top: Entry[] = [];
  for (const r of rows) {
    const m = typeof r === 'string' ? ROW.exec(r) : null;
    const entry: Entry = { node: sqliteNode(m ? m[3]! : String(r)), children: [] };
    const parent = m ? byId.get(m[2]!) : undefined;
    if (parent) parent.children.push(entry);
    else top.push(entry);
    if (m && !byId.has(m[1]!)) byId.set(m[1]!, entry);
  }
  // Rows name only earlier rows as parents, so the entries form a tree (no cycle) and depth is bounded by the row count.
  const build = (e: Entry): PlanNode => (e.children.length ? { ...e.node, children: e.children.map(build) } : e.node);
  const built = top.map(build);
  const sorts = built.filter((n) => n.kind === 'SORT');
  const rest = built.filter((n) => n.kind !== 'SORT');
  if (sorts.length) return { ...sorts[0]!, children: rest };
  if (built.length === 1) return built[0]!;
  return { kind: 'OTHER', stage: 'SQLite plan', children: built };
}

function sqliteNode(detail: string): PlanNode {
  const d = detail.trim();
  let m = /^(?:SCAN|SEARCH) \S+ USING (?:COVERING )?INDEX (\S+)(?: \((.*)\))?/.exec(d);
  if (m) return { kind: 'INDEX_SCAN', stage: d.startsWith('SCAN') ? 'SQLite SCAN USING INDEX' : 'SQLite SEARCH', index: m[1]!, ...(m[2] ? { bounds: m[2] } : {}), children: [] };
  m = /^SEARCH \S+ USING (?:INTEGER )?PRIMARY KEY(?: \((.*)\))?/.exec(d);
  if (m) return { kind: 'INDEX_SCAN', stage: 'SQLite SEARCH', index: 'PRIMARY KEY', ...(m[1] ? { bounds: m[1] } : {}), children: [] };
  if (/^SCAN \S+$/.test(d) || /^SCAN TABLE \S+$/.test(d)) return { kind: 'COLLSCAN', stage: 'SQLite SCAN', children: [] };
  if (/^USE TEMP B-TREE FOR /.test(d)) return { kind: 'SORT', stage: 'SQLite TEMP B-TREE', attrs: { for: d.slice('USE TEMP B-TREE FOR '.length) }, children: [] };
  return { kind: 'OTHER', stage: `SQLite ${d.split(' ')[0] ?? ''}`.trim(), attrs: { detail: d.replace(/_[0-9a-f]{8}\b/g, '') }, children: [] };
}

const PG_KINDS: Readonly<Record<string, PlanKind>> = Object.freeze({
  'Seq Scan': 'COLLSCAN',
  'Index Scan': 'INDEX_SCAN',
  'Index Only Scan': 'INDEX_SCAN',
  'Bitmap Index Scan': 'INDEX_SCAN',
  'Bitmap Heap Scan': 'FETCH',
  Sort: 'SORT',
  'Incremental Sort': 'SORT',
  Limit: 'LIMIT',
  'Result': 'OTHER',
});

function pgNode(raw: Doc, depth: number): PlanNode {
  const stage = typeof raw['Node Type'] === 'string' ? raw['Node Type'] : 'unknown';
  const children = depth < 100 && Array.isArray(raw.Plans) ? raw.Plans.filter(isDoc).map((c) => pgNode(c, depth + 1)) : [];
  const node: { -readonly [K in keyof PlanNode]: PlanNode[K] } = { kind: PG_KINDS[stage] ?? 'OTHER', stage: `PostgreSQL ${stage}`, children };
  if (typeof raw['Index Name'] === 'string') node.index = raw['Index Name'];
  if (typeof raw['Index Cond'] === 'string') node.bounds = raw['Index Cond'];
  if (typeof raw.Filter === 'string') node.filter = true;
  if (Array.isArray(raw['Sort Key'])) node.sortPattern = raw['Sort Key'].map(String).join(', ');
  return node;
}
