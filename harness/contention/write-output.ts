import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderContentionHtml } from './render-html.ts';
import { renderContentionMarkdown } from './render-markdown.ts';
import type { ContentionResult } from './result.ts';

export interface ContentionFiles {
  readonly json: string;
  readonly markdown: string;
  readonly html: string;
}

/** Writes contention.json, contention.md and contention.html into `dir`. */
export async function writeContentionOutput(dir: string, result: ContentionResult): Promise<ContentionFiles> {
  await mkdir(dir, { recursive: true });
  const files = { json: join(dir, 'contention.json'), markdown: join(dir, 'contention.md'), html: join(dir, 'contention.html') };
  const html = await renderContentionHtml(result);
  await Promise.all([
    writeFile(files.json, `${JSON.stringify(result, null, 2)}\n`),
    writeFile(files.markdown, renderContentionMarkdown(result)),
    writeFile(files.html, html),
  ]);
  return files;
}
