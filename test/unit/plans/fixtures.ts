import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlanEngine, PlanMetrics } from '../../../harness/plans/tree.ts';

/** Real explain replies, one file each, with where they come from and what they must read as. */
export interface PlanFixture {
  readonly file: string;
  readonly source: string;
  readonly server: string;
  readonly expect: { readonly engine: PlanEngine; readonly signature: string; readonly metrics?: PlanMetrics; readonly pushdown?: Record<string, boolean> };
  readonly explain: unknown;
}

export const FIXTURE_DIR = join(import.meta.dirname, '../../fixtures/plans');

export function planFixtures(): PlanFixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, ...(JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8')) as Omit<PlanFixture, 'file'>) }));
}

export function planFixture(file: string): PlanFixture {
  const f = planFixtures().find((x) => x.file === file);
  if (!f) throw new Error(`no plan fixture ${file}`);
  return f;
}
