import { METRIC_PREFIX, type DatadogEvent, type DatadogPayload, type SeriesPoint } from '../report/datadog-payload.ts';
import type { ReportDocument } from '../report/schema.ts';
import type { IndexCell, IndexDocument } from './index-page.ts';

/**
 * What a suite run sends to Datadog, as plain data (pure): per app × candidate cell the
 * verdict level, difference groups, groups new since the last comparable run, fixed and
 * still open, and the whole app's p50 and p99 latency ratios (v2 gauges at the run's end),
 * plus one v1 event per new FAIL (a failing cell with a difference group that is new and
 * not accepted). Tags: app, candidate, version and `suite_run:<run id>`.
 */
export const SUITE_METRIC_PREFIX = `${METRIC_PREFIX}.suite`;
const GAUGE = 3;
/** The verdict as a level a monitor can threshold: an error cell is worse than a fail. */
export const VERDICT_LEVEL: Readonly<Record<IndexCell['verdict'], number>> = { pass: 0, warn: 1, fail: 2, error: 3 };
const EVENT_GROUPS = 10;

/** The whole app's p50 ratio of each cell from the apps' reports (`app\0candidate` → ratio). */
export function p50RatiosOf(reports: ReadonlyMap<string, ReportDocument>): Map<string, number | null> {
  const out = new Map<string, number | null>();
  for (const [app, doc] of reports) {
    for (const s of doc.summary) {
      // A capture may label operations with other app names than the suite's: the suite's own name wins, else the first row.
      const key = `${app}\0${s.candidate}`;
      if (s.app === app || !out.has(key)) out.set(key, s.latency.p50Ratio);
    }
  }
  return out;
}

/** A cell is a new FAIL when it fails and at least one of its new difference groups is not accepted. */
export function isNewFail(cell: IndexCell): boolean {
  const accepted = new Set(cell.changes.accepted);
  return cell.verdict === 'fail' && cell.changes.new.some((g) => !accepted.has(g.id));
}

export function suiteDatadogPayload(index: IndexDocument, p50: ReadonlyMap<string, number | null> = new Map(), extraTags: readonly string[] = []): DatadogPayload {
  const ts = Math.floor(Date.parse(index.endedAt) / 1000);
  const runTag = `suite_run:${tagValue(index.runId)}`;
  const series: SeriesPoint[] = [];
  const events: DatadogEvent[] = [];
  for (const cell of index.cells) {
    const tags = [`app:${tagValue(cell.app)}`, `candidate:${tagValue(cell.candidate)}`, `version:${tagValue(cell.version)}`, runTag, ...extraTags];
    const gauge = (metric: string, value: number | null | undefined): void => {
      if (value === null || value === undefined || !Number.isFinite(value)) return;
      series.push({ metric: `${SUITE_METRIC_PREFIX}.${metric}`, type: GAUGE, points: [{ timestamp: ts, value }], tags });
    };
    gauge('verdict', VERDICT_LEVEL[cell.verdict]);
    if (cell.verdict !== 'error') {
      gauge('difference_groups', cell.groups.length);
      gauge('new_groups', cell.changes.new.length);
      gauge('fixed_groups', cell.changes.fixed.length);
      gauge('open_groups', cell.changes.open.length);
      gauge('latency.p50_ratio', p50.get(`${cell.app}\0${cell.candidate}`));
      gauge('latency.p99_ratio', cell.latency['*']);
    }
    if (isNewFail(cell)) {
      const accepted = new Set(cell.changes.accepted);
      const fresh = cell.changes.new.filter((g) => !accepted.has(g.id));
      events.push({
        title: `mongo-compat suite: ${cell.app} fails on ${cell.candidate} (${cell.version}): ${fresh.length} new difference group(s)`,
        text: [
          ...fresh.slice(0, EVENT_GROUPS).map((g) => `- ${g.id} ${g.class}: ${g.label}${g.paths.length ? ` (${g.paths.slice(0, 3).join(', ')})` : ''}`),
          ...(fresh.length > EVENT_GROUPS ? [`- and ${fresh.length - EVENT_GROUPS} more`] : []),
          `run ${index.runId}${cell.changes.previousRunId ? `, compared with ${cell.changes.previousRunId}` : ''}${cell.report ? `; report ${cell.report}` : ''}`,
        ].join('\n'),
        alertType: 'error',
        tags,
        aggregationKey: `mongo-compat-suite:${cell.app}:${cell.candidate}`,
      });
    }
  }
  return { series, events };
}

/** Datadog tag values: no spaces or commas, at most 190 characters. */
function tagValue(v: string): string {
  return v.replace(/[\s,]+/g, '_').slice(0, 190);
}
