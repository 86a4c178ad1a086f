import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContentionResult } from './result.ts';

/** A sweep's files in its output directory. */
export interface ContentionFiles {
  readonly json: string;
  readonly markdown: string;
  readonly html: string;
}

/**
 * Writes contention.json, the result `report --bench` reads back and the evidence
 * kept even when an invariant fails, and names every file of the sweep. Its Markdown
 * and HTML are rendered by the report stage (report/write.ts `writeContentionReport`,
 * called by the `bench contention` command), as the engine renders nothing.
 */
export async function writeContentionOutput(dir: string, result: ContentionResult): Promise<ContentionFiles> {
  await mkdir(dir, { recursive: true });
  const files = { json: join(dir, 'contention.json'), markdown: join(dir, 'contention.md'), html: join(dir, 'contention.html') };
  await writeFile(files.json, `${JSON.stringify(result, null, 2)}\n`);
  return files;
}
