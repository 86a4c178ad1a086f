import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import { buildReport } from '../../../harness/report/build.ts';
import type { ReportDocument } from '../../../harness/report/schema.ts';
import { cellOf } from '../../../harness/suite/cells.ts';
import { makeRun } from '../../fixtures/report/make-run.ts';

let dir: string;
let first: ReportDocument;
let again: ReportDocument;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-suite-cells-'));
  await makeRun(join(dir, 'a'));
  await makeRun(join(dir, 'b'));
  const config = ConfigSchema.parse({});
  first = await buildReport(join(dir, 'a'), config);
  again = await buildReport(join(dir, 'b'), config);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a suite cell from an app report', () => {
  it('takes the worst verdict of the capture’s apps, their difference groups and the whole-app latency ratio', () => {
    const c50 = cellOf('platform', 'c50', first, 'platform/report.html');
    expect(c50.verdict).toBe('fail');
    // tier differs, WriteConflict is new, and the 3× slowdown of orders is a latency group.
    expect(new Set(c50.groups.map((g) => g.class))).toEqual(new Set(['result-differs', 'new-error', 'latency-regression']));
    expect(c50.newErrors).toBe(2);
    expect(c50.version).toMatch(/5\.0\.31/);
    const c44 = cellOf('platform', 'c44', first, 'platform/report.html');
    expect(c44.groups.map((g) => g.class)).toEqual(['result-differs']);
    expect(c44.groups[0]!.paths).toEqual(expect.arrayContaining(['docs[].tier']));
  });

  it('gives the same group ids to the same differences in another run, and other ids under another app name', () => {
    const ids = (doc: ReportDocument, app: string) => cellOf(app, 'c50', doc, '').groups.map((g) => g.id).sort();
    expect(ids(again, 'platform')).toEqual(ids(first, 'platform'));
    expect(ids(first, 'other').some((id) => ids(first, 'platform').includes(id))).toBe(false);
  });
});
