import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RENDERERS, type ReportFormat } from './registry.ts';
import type { ReportDocument } from './schema.ts';

/** Renders every requested format into `dir`; returns the paths by format. */
export async function writeReport(doc: ReportDocument, formats: readonly ReportFormat[], dir: string): Promise<Partial<Record<ReportFormat, string>>> {
  await mkdir(dir, { recursive: true });
  const out: Partial<Record<ReportFormat, string>> = {};
  for (const f of formats) {
    const r = RENDERERS[f];
    const path = join(dir, r.file);
    await writeFile(path, await r.render(doc));
    out[f] = path;
  }
  return out;
}
