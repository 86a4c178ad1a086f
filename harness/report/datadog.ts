import { oneLine } from '../errors.ts';
import { datadogPayload, type DatadogPayload } from './datadog-payload.ts';
import type { ReportDocument } from './schema.ts';

export interface DatadogOptions {
  /** DD_API_KEY. */
  readonly apiKey?: string;
  /** DD_SITE (datadoghq.com, datadoghq.eu, …). */
  readonly site?: string;
  /** Another endpoint (a proxy, or a test server): `http://127.0.0.1:PORT`. */
  readonly baseUrl?: string;
  readonly tags?: readonly string[];
}

export interface DatadogOutcome {
  readonly sent: boolean;
  readonly series: number;
  readonly events: number;
  /** One line, when sending failed: a warning, never a lost report. */
  readonly warning?: string;
}

/**
 * Sends the report's metrics (v2 series) and failed-verdict events (v1). Never throws:
 * any failure comes back as `warning`.
 */
export async function sendToDatadog(doc: ReportDocument, options: DatadogOptions): Promise<DatadogOutcome> {
  return sendDatadogPayload(datadogPayload(doc, options.tags), options, 'the report is complete');
}

/**
 * Sends a payload through @datadog/datadog-api-client. The client is 140 MB and takes
 * over a second to load, so it is imported only here, only when Datadog is enabled.
 * Never throws: any failure comes back as `warning`, ending with `complete` (what is
 * still whole despite the failure: the report, the suite's reports and history).
 */
export async function sendDatadogPayload(payload: DatadogPayload, options: DatadogOptions, complete: string): Promise<DatadogOutcome> {
  const counts = { series: payload.series.length, events: payload.events.length };
  if (!options.apiKey) return { sent: false, ...counts, warning: 'Datadog: DD_API_KEY is not set; nothing sent' };
  try {
    const { client, v1, v2 } = await import('@datadog/datadog-api-client');
    const conf = client.createConfiguration({
      authMethods: { apiKeyAuth: options.apiKey },
      enableRetry: false,
      ...(options.baseUrl ? { baseServer: new client.BaseServerConfiguration(options.baseUrl, {}) } : {}),
    });
    if (!options.baseUrl && options.site) conf.setServerVariables({ site: options.site });
    if (payload.series.length) await new v2.MetricsApi(conf).submitMetrics({ body: { series: payload.series.map((s) => ({ ...s, type: s.type as 0 | 1 | 2 | 3, points: s.points.map((p) => ({ ...p })), tags: [...s.tags] })) } });
    const events = new v1.EventsApi(conf);
    for (const e of payload.events) await events.createEvent({ body: { ...e, tags: [...e.tags] } });
    return { sent: true, ...counts };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { sent: false, ...counts, warning: `Datadog: send failed${typeof code === 'number' ? ` (HTTP ${code})` : ''}: ${oneLine(err)}; ${complete}` };
  }
}
