import type { LatencyRow } from '../../harness/compare/types.ts';
import type { ReportDocument } from '../../harness/report/schema.ts';
import type { AbKind } from './injections.ts';

/**
 * What a run's report says, read the way CI reads it: the exit status and the verdict
 * per app and candidate, each verdict reason flattened with a short key naming what
 * raised it (`result-differs buildInfo`, `latency findAndModify jobs`, `state shop.jobs`)
 * so reasons can be counted across runs. Pure: report document in, facts out.
 */
export interface FlatReason {
  readonly app: string;
  readonly candidate: string;
  readonly level: string;
  readonly message: string;
  readonly key: string;
  readonly kind: 'group' | 'latency' | 'state' | 'plan';
  readonly shape?: string;
  readonly cls?: string;
  readonly coll?: string;
  readonly ns?: string;
}

export function reasonsOf(doc: ReportDocument): FlatReason[] {
  const out: FlatReason[] = [];
  for (const row of doc.summary) {
    const section = doc.apps.find((a) => a.app === row.app);
    const matrix = doc.matrix.find((m) => m.app === row.app);
    const cmdOf = (shape: string): string => (shape === '*' ? 'app' : (matrix?.shapes.find((s) => s.shape === shape)?.cmd ?? shape));
    for (const r of row.reasons) {
      const ev = r.evidence;
      const base = { app: row.app, candidate: row.candidate, level: r.level, message: r.message };
      if (ev.kind === 'group') {
        const g = section?.groups.find((x) => x.shape === ev.shape && x.class === ev.class && x.candidate === row.candidate);
        const coll = g?.coll;
        out.push({ ...base, kind: 'group', shape: ev.shape, cls: ev.class, ...(coll ? { coll } : {}), key: `${ev.class} ${g?.cmd ?? cmdOf(ev.shape)}${coll ? ` ${coll}` : ''}` });
      } else if (ev.kind === 'latency') {
        const g = section?.groups.find((x) => x.shape === ev.shape);
        out.push({ ...base, kind: 'latency', shape: ev.shape, key: `latency ${cmdOf(ev.shape)}${g?.coll ? ` ${g.coll}` : ''}` });
      } else if (ev.kind === 'plan') {
        out.push({ ...base, kind: 'plan', shape: ev.shape, key: `plan ${cmdOf(ev.shape)} ${ev.changes.join(',')}` });
      } else {
        out.push({ ...base, kind: 'state', ns: ev.ns, key: `state ${ev.ns}` });
      }
    }
  }
  return out;
}

/** An A/A run raises a false alarm when CI would stop: a non-zero exit or any verdict other than pass. */
export function isFalseAlarm(doc: ReportDocument): boolean {
  return doc.exit.status !== 0 || doc.summary.some((s) => s.verdict !== 'pass');
}

/** What one A/B run injected, in the terms its report would use. */
export interface AbTarget {
  readonly kind: AbKind;
  /** The app whose operations the change touches. */
  readonly app: string;
  /** failure: the audit upsert's shape; slowdown: the lookup's shape. */
  readonly shape?: string;
  readonly coll: string;
  readonly ns?: string;
}

/**
 * Detected means the verdict says what was injected, not just that something failed:
 * - document: a FAIL reason on a difference group of the changed document's collection;
 *   `named` also needs its `_id` in the reason's words;
 * - slowdown: a WARN or FAIL latency reason on the slowed shape;
 * - failure: a new-error group of the failing command's shape (the audit upsert).
 */
export function detects(t: AbTarget, r: FlatReason): boolean {
  if (r.app !== t.app || r.level === 'pass') return false;
  switch (t.kind) {
    case 'document':
      return r.level === 'fail' && r.kind === 'group' && r.coll === t.coll;
    case 'slowdown':
      return r.kind === 'latency' && r.shape === t.shape;
    case 'failure':
      return r.kind === 'group' && r.cls === 'new-error' && r.shape === t.shape;
  }
}

/**
 * Reasons the injection explains besides the detecting one, in the app it touches: the
 * other shapes reading the changed collection, the app's overall latency, the audit
 * collection stored without the refused documents. Any other reason in an A/B run is
 * collateral: a false alarm riding along with the true one.
 */
export function explainedBy(t: AbTarget, r: FlatReason): boolean {
  // Another app's verdict is never explained, even by a state difference the change caused:
  // that app did not touch the collection, and CI would stop its pipeline too.
  if (r.app !== t.app) return false;
  switch (t.kind) {
    case 'document':
      return r.kind === 'group' && r.coll === t.coll;
    case 'slowdown':
      return r.kind === 'latency' && (r.shape === t.shape || r.shape === '*');
    case 'failure':
      return (r.kind === 'group' && r.coll === t.coll) || (r.kind === 'state' && r.ns === t.ns);
  }
}

/** The latency row of one shape for one app and candidate. */
export function latencyRow(doc: ReportDocument, app: string, candidate: string, shape: string): LatencyRow | undefined {
  return doc.apps.find((a) => a.app === app)?.latency.find((l) => l.shape === shape && l.candidate === candidate);
}
