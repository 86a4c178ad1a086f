import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RENDERERS } from '../../../harness/report/registry.ts';
import { writeContentionReport } from '../../../harness/report/write.ts';
import { SWEEP } from './contention/result-fixture.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-write-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeContentionReport', () => {
  it('writes the registry’s Markdown and HTML of a contention result to the paths the sweep named', async () => {
    const files = { markdown: join(dir, 'c.md'), html: join(dir, 'c.html') };
    await writeContentionReport(SWEEP, files);
    expect(await readFile(files.markdown, 'utf8')).toBe(RENDERERS.md.contention(SWEEP));
    const html = await readFile(files.html, 'utf8');
    expect(html).toBe(RENDERERS.html.contention(SWEEP));
    expect(html.match(/<svg /g)).toHaveLength(2);
  });
});
