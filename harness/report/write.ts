import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContentionResult } from '../contention/result.ts';
import { RENDERERS, type ReportFormat } from './registry.ts';
import type { ReportDocument } from './schema.ts';

/** Renders every requested format into `dir`; returns the paths by format. */
export async function writeReport(doc: ReportDocument, formats: readonly ReportFormat[], dir: string): Promise<Partial<Record<ReportFormat, string>>> {
  await mkdir(dir, { recursive: true });
  const out: Partial<Record<ReportFormat, string>> = {};
  for (const f of formats) {
    const r = RENDERERS[f];
    const path = join(dir, r.file);
    await writeFile(path, r.render(doc));
    out[f] = path;
  }
  return out;
}

/** Where a contention sweep puts its Markdown and HTML (the paths contention/write-output.ts returns). */
export interface ContentionReportFiles {
  readonly markdown: string;
  readonly html: string;
}

/** Renders a contention result as Markdown and HTML to the paths its sweep named. */
export async function writeContentionReport(result: ContentionResult, files: ContentionReportFiles): Promise<void> {
  await Promise.all([writeFile(files.markdown, RENDERERS.md.contention(result)), writeFile(files.html, RENDERERS.html.contention(result))]);
}
