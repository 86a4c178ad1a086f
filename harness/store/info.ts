import { readRecordings } from './captures.ts';
import { SummaryBuilder, type CaptureSummary } from './summary.ts';

/** Reads capture files once, streaming, and summarises them (separate recordings as a replay reads them: their connections counted apart). */
export async function summariseCapture(files: readonly string[], options: { top?: number } = {}): Promise<CaptureSummary> {
  const b = new SummaryBuilder();
  const records = readRecordings(files, {
    onHeader: (h, f) => b.addHeader(h, f),
    onFooter: (ft, f) => b.addFooter(ft, f),
    onIssue: (i) => b.addIssue(i),
    onDamage: (d) => b.addDamage(d),
  });
  for await (const r of records) b.add(r);
  return b.result(options.top);
}
