import type { ReportDocument } from './schema.ts';

/**
 * What the report sends to Datadog, as plain data (pure, tested without a network):
 * v2 metric series (type 3 = gauge, one point at the report's time) and one v1 event
 * per failed verdict. Tags: app, target, version, shape (and class for differences),
 * plus `run:<dir name>` so series of one run can be found together.
 */
export const METRIC_PREFIX = 'mongo_compat';
const GAUGE = 3;

export interface SeriesPoint {
  readonly metric: string;
  readonly type: number;
  readonly unit?: string;
  readonly points: readonly { readonly timestamp: number; readonly value: number }[];
  readonly tags: readonly string[];
}

export interface DatadogEvent {
  readonly title: string;
  readonly text: string;
  readonly alertType: 'error' | 'warning' | 'info' | 'success';
  readonly tags: readonly string[];
  readonly aggregationKey: string;
}

export interface DatadogPayload {
  readonly series: SeriesPoint[];
  readonly events: DatadogEvent[];
}

export function datadogPayload(doc: ReportDocument, extraTags: readonly string[] = []): DatadogPayload {
  const ts = Math.floor(Date.parse(doc.generatedAt) / 1000);
  const runTag = `run:${tagValue(doc.run.dir.split(/[\\/]/).filter(Boolean).pop() ?? 'run')}`;
  const version = (name: string): string => tagValue(doc.targets.find((t) => t.name === name)?.serverVersion ?? 'unknown');
  const series: SeriesPoint[] = [];
  const gauge = (metric: string, value: number, tags: string[], unit?: string): void => {
    series.push({ metric: `${METRIC_PREFIX}.${metric}`, type: GAUGE, ...(unit ? { unit } : {}), points: [{ timestamp: ts, value }], tags: [...tags, runTag, ...extraTags] });
  };
  for (const s of doc.summary) {
    const base = [`app:${tagValue(s.app)}`, `target:${tagValue(s.candidate)}`, `version:${version(s.candidate)}`];
    gauge('ops.replayed', s.replayed, base);
    gauge('ops.skipped', Object.values(s.skipped).reduce((n, v) => n + v, 0), base);
    gauge('new_errors', s.newErrors, base);
    gauge('difference_groups', s.groups, base);
    gauge('verdict', s.verdict === 'pass' ? 0 : s.verdict === 'warn' ? 1 : 2, base);
    for (const [cls, n] of Object.entries(s.counts)) {
      if (cls === 'identical' || cls === 'equivalent') continue;
      gauge('differences', n ?? 0, [...base, `class:${cls}`]);
    }
  }
  for (const a of doc.apps) {
    const seen = new Set<string>();
    for (const l of a.latency) {
      if (l.shape === '*') continue;
      const shape = `shape:${l.shape}`;
      const app = `app:${tagValue(a.app)}`;
      const sides: [string, typeof l.baseline][] = [[l.candidate, l.candidateStats]];
      if (!seen.has(l.shape)) {
        seen.add(l.shape);
        sides.push([doc.baseline, l.baseline]);
      }
      for (const [target, p] of sides) {
        const tags = [app, `target:${tagValue(target)}`, `version:${version(target)}`, shape];
        gauge('latency.p50', p.p50, tags, 'microsecond');
        gauge('latency.p99', p.p99, tags, 'microsecond');
      }
      // The paired estimate the verdict rests on, with its interval: a dashboard can alert on
      // the lower end as the verdict does.
      if (l.paired) {
        const tags = [app, `target:${tagValue(l.candidate)}`, `version:${version(l.candidate)}`, shape];
        gauge('latency.paired_ratio', l.paired.ratio, tags);
        gauge('latency.paired_ratio_lower', l.paired.lower, tags);
        gauge('latency.paired_ratio_upper', l.paired.upper, tags);
      }
    }
  }
  const events: DatadogEvent[] = doc.summary
    .filter((s) => s.verdict === 'fail')
    .map((s) => ({
      title: `mongo-compat: ${s.app} fails on ${s.candidate} (${s.version})`,
      text: s.reasons
        .filter((r) => r.level === 'fail')
        .slice(0, 10)
        .map((r) => `- ${r.message}`)
        .join('\n'),
      alertType: 'error',
      tags: [`app:${tagValue(s.app)}`, `target:${tagValue(s.candidate)}`, `version:${version(s.candidate)}`, runTag, ...extraTags],
      aggregationKey: `mongo-compat:${s.app}:${s.candidate}`,
    }));
  return { series, events };
}

/** Datadog tag values: lowercase-insensitive, no spaces or commas. */
function tagValue(v: string): string {
  return v.replace(/[\s,]+/g, '_').slice(0, 190);
}
