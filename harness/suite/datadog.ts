import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { sendDatadogPayload, type DatadogOptions, type DatadogOutcome } from '../report/datadog.ts';
import type { ReportDocument } from '../report/schema.ts';
import { p50RatiosOf, suiteDatadogPayload } from './datadog-payload.ts';
import type { IndexDocument } from './index-page.ts';

/**
 * Sends a suite run's per-cell metrics and new-FAIL events to Datadog. The p50 ratios come
 * from the apps' report.json files in OUT/<app>/ (an app without one sends no p50). Never
 * throws: a failure comes back as `warning`, the suite's reports and history are complete.
 */
export async function sendSuiteToDatadog(index: IndexDocument, outDir: string, options: DatadogOptions): Promise<DatadogOutcome> {
  const reports = new Map<string, ReportDocument>();
  for (const app of index.apps) {
    try {
      reports.set(app, JSON.parse(await readFile(join(outDir, app, 'report.json'), 'utf8')) as ReportDocument);
    } catch {
      // No JSON report for this app (an error cell, or formats without json): no p50 ratio.
    }
  }
  return sendDatadogPayload(suiteDatadogPayload(index, p50RatiosOf(reports), options.tags), options, "the suite's reports and history are complete");
}

/** `suite --datadog` (or config report.datadog.enabled): site and tags from the config, key and endpoint from the environment. */
export async function suiteDatadog(index: IndexDocument, outDir: string, config: Config, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<DatadogOutcome> {
  const out = await sendSuiteToDatadog(index, outDir, {
    apiKey: env.DD_API_KEY,
    site: config.report.datadog.site ?? env.DD_SITE,
    baseUrl: env.MONGO_COMPAT_DATADOG_URL,
    tags: config.report.datadog.tags,
  });
  log(out.warning ? `warning: ${out.warning}` : `Datadog: sent ${out.series} series and ${out.events} event(s)`);
  return out;
}
