import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { buildReport, type BuildOptions } from './build.ts';
import { sendToDatadog, type DatadogOutcome } from './datadog.ts';
import { causesText } from './format.ts';
import { parseFormats, type ReportFormat } from './registry.ts';
import type { ReportDocument } from './schema.ts';
import { writeReport } from './write.ts';

export interface RenderRequest {
  /** Comma-separated formats; default: config `report.formats`. */
  readonly formats?: string;
  readonly out?: string;
  /** Send to Datadog (also on when config `report.datadog.enabled`). */
  readonly datadog?: boolean;
  readonly benchFile?: string;
  readonly droppedAtCapture?: number | null;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: (line: string) => void;
  readonly now?: BuildOptions['now'];
}

export interface RenderResult {
  readonly doc: ReportDocument;
  readonly files: Partial<Record<ReportFormat, string>>;
  readonly datadog?: DatadogOutcome;
}

/** Build the report of a run, write each format, send to Datadog when asked; returns what it did. */
export async function renderReport(runDir: string, config: Config, req: RenderRequest = {}): Promise<RenderResult> {
  const log = req.log ?? (() => undefined);
  const formats = parseFormats(req.formats ?? config.report.formats.join(','));
  const doc = await buildReport(runDir, config, { droppedAtCapture: req.droppedAtCapture ?? null, ...(req.benchFile ? { benchFile: req.benchFile } : {}), ...(req.now ? { now: req.now } : {}) });
  const files = await writeReport(doc, formats, req.out ?? join(runDir, 'report'));
  for (const line of verdictLines(doc)) log(line);
  let datadog: DatadogOutcome | undefined;
  if (req.datadog || config.report.datadog.enabled) {
    const env = req.env ?? {};
    datadog = await sendToDatadog(doc, {
      apiKey: env.DD_API_KEY,
      site: config.report.datadog.site ?? env.DD_SITE,
      baseUrl: env.MONGO_COMPAT_DATADOG_URL,
      tags: config.report.datadog.tags,
    });
    log(datadog.warning ? `warning: ${datadog.warning}` : `Datadog: sent ${datadog.series} series and ${datadog.events} event(s)`);
  }
  log(exitLine(doc));
  return { doc, files, ...(datadog ? { datadog } : {}) };
}

/**
 * One line per app × candidate verdict, for stderr (report and replay print the same):
 * the counts, the difference groups by cause, and the first reason, which names its
 * shape by command, collection and filter.
 */
export function verdictLines(doc: ReportDocument): string[] {
  return doc.summary.map(
    (s) =>
      `${s.verdict.toUpperCase().padEnd(4)} ${s.app} on ${s.candidate} (${s.version}): ${s.replayed} replayed, ${s.groups} difference group(s)${s.groups ? ` (${causesText(s.causes)})` : ''}, ${s.newErrors} new error(s)${s.reasons[0] ? `; ${s.reasons[0].message}` : ''}`,
  );
}

export function exitLine(doc: ReportDocument): string {
  return `exit status ${doc.exit.status}${doc.exit.reasons.length ? ` (${doc.exit.reasons.join('; ')})` : ''}`;
}
