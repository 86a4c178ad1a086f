/**
 * serverStatus figures the contention bench watches (research/mongodb-versions.md §2),
 * and how a step's before/after snapshots become deltas. Pure: documents in, figures
 * out. A figure the server does not expose stays `available: false` and is shown as
 * "not available on this server", never as 0 (FerretDB exposes almost none of them).
 */
export type MetricKind = 'counter' | 'gauge';

export interface MetricDef {
  readonly name: string;
  readonly path: readonly string[];
  readonly kind: MetricKind;
  readonly why: string;
}

const def = (name: string, kind: MetricKind, why: string): MetricDef => Object.freeze({ name, path: Object.freeze(name.split('.')), kind, why });

export const SERVER_METRICS: readonly MetricDef[] = Object.freeze([
  def('opcounters.command', 'counter', 'findAndModify counts as a command on mongod (SERVER-71281)'),
  def('opcounters.update', 'counter', 'updates (mark-done, release)'),
  def('opcounters.query', 'counter', 'queries'),
  def('opcounters.insert', 'counter', 'inserts (queue refills)'),
  def('metrics.operation.writeConflicts', 'counter', 'write-conflict retries inside the server'),
  def('metrics.commands.findAndModify.total', 'counter', 'findAndModify commands'),
  def('metrics.commands.findAndModify.failed', 'counter', 'failed findAndModify commands'),
  def('metrics.document.updated', 'counter', 'documents updated: flat while CPU rises means retry storm'),
  def('metrics.document.returned', 'counter', 'documents returned'),
  def('metrics.document.inserted', 'counter', 'documents inserted'),
  def('extra_info.user_time_us', 'counter', 'server process user CPU time (µs)'),
  def('extra_info.system_time_us', 'counter', 'server process system CPU time (µs)'),
  def('wiredTiger.concurrentTransactions.write.out', 'gauge', 'write tickets in use (≤ 6.0)'),
  def('wiredTiger.concurrentTransactions.write.available', 'gauge', 'write tickets free (≤ 6.0)'),
  def('queues.execution.write.out', 'gauge', 'write tickets in use (7.0+)'),
  def('queues.execution.write.available', 'gauge', 'write tickets free (7.0+)'),
  def('globalLock.currentQueue.writers', 'gauge', 'operations queued for a write lock'),
  def('globalLock.activeClients.writers', 'gauge', 'clients performing writes'),
]);

export type MetricSnapshot = Readonly<Record<string, number | undefined>>;

/** Reads every watched figure from a serverStatus reply; absent or non-numeric → undefined. */
export function snapshotMetrics(status: unknown): MetricSnapshot {
  const out: Record<string, number | undefined> = {};
  for (const m of SERVER_METRICS) out[m.name] = numberAt(status, m.path);
  return out;
}

function numberAt(doc: unknown, path: readonly string[]): number | undefined {
  let cur: unknown = doc;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return toNumber(cur);
}

/** Plain numbers and the driver's Long/Int32/Double (anything with a finite valueOf). */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (v !== null && typeof v === 'object' && 'toNumber' in v && typeof (v as { toNumber: unknown }).toNumber === 'function') {
    const n = (v as { toNumber(): number }).toNumber();
    return Number.isFinite(n) ? n : undefined;
  }
  if (v !== null && typeof v === 'object' && '_bsontype' in v && typeof (v as { valueOf: unknown }).valueOf === 'function') {
    const n = Number((v as { valueOf(): unknown }).valueOf());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export type MetricFigure =
  | { readonly name: string; readonly kind: 'counter'; readonly available: true; readonly before: number; readonly after: number; readonly delta: number; readonly perSec: number }
  | { readonly name: string; readonly kind: 'gauge'; readonly available: true; readonly before: number; readonly after: number; readonly min: number; readonly max: number; readonly samples: number }
  | { readonly name: string; readonly kind: MetricKind; readonly available: false; readonly reason: string };

export const NOT_AVAILABLE = 'not available on this server';

/**
 * Turns snapshots into figures. Counters: after − before (and per second over the
 * window); gauges: min and max over every snapshot, sampled during the window.
 */
export function metricFigures(before: MetricSnapshot, after: MetricSnapshot, samples: readonly MetricSnapshot[], windowMs: number): MetricFigure[] {
  return SERVER_METRICS.map((m): MetricFigure => {
    const b = before[m.name];
    const a = after[m.name];
    if (b === undefined || a === undefined) return { name: m.name, kind: m.kind, available: false, reason: NOT_AVAILABLE };
    if (m.kind === 'counter') {
      const delta = a - b;
      return { name: m.name, kind: 'counter', available: true, before: b, after: a, delta, perSec: windowMs > 0 ? (delta * 1000) / windowMs : 0 };
    }
    const all = [b, a, ...samples.map((s) => s[m.name]).filter((v): v is number => v !== undefined)];
    return { name: m.name, kind: 'gauge', available: true, before: b, after: a, min: Math.min(...all), max: Math.max(...all), samples: all.length };
  });
}
