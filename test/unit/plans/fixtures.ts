import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BSON } from 'mongodb';
import type { PlanEngine, PlanMetrics } from '../../../harness/plans/tree.ts';

/**
 * Explain replies, one file each, with where they come from and what they must read as.
 *
 *   origin    "server output": a real server's reply (a public URL in `url`, or captured on this
 *             project's test machine); "hand-written": written from the manual where no real
 *             output of that format could be found, its `source` saying so.
 *   trimmed   what was left out of the reply as published, or "nothing removed".
 *   format    "extended-json": `explain` is Extended JSON ({$numberInt}, {$maxKey}…) and is read
 *             back into BSON values the way the driver hands them over; otherwise plain JSON.
 */
export interface PlanFixture {
  readonly file: string;
  readonly origin: 'server output' | 'hand-written';
  readonly source: string;
  readonly url?: string;
  readonly server: string;
  readonly trimmed?: string;
  readonly format?: 'extended-json';
  /** What the reply reads as: a plan, or (a server that answered ok 0) the message readExplain gives. */
  readonly expect: ExpectedPlan | { readonly error: string };
  readonly explain: unknown;
}

export interface ExpectedPlan {
  readonly engine: PlanEngine;
  readonly signature: string;
  readonly metrics?: PlanMetrics;
  readonly pushdown?: Record<string, boolean>;
}

export const FIXTURE_DIR = join(import.meta.dirname, '../../fixtures/plans');

function load(file: string): PlanFixture {
  const raw = JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8')) as Omit<PlanFixture, 'file'>;
  // relaxed: numbers come back as JS numbers, as the driver's default promoteValues gives them.
  const explain = raw.format === 'extended-json' ? BSON.EJSON.deserialize(raw.explain as BSON.Document, { relaxed: true }) : raw.explain;
  return { file, ...raw, explain };
}

export function planFixtures(): PlanFixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map(load);
}

export function planFixture(file: string): PlanFixture {
  if (!planFixtures().some((x) => x.file === file)) throw new Error(`no plan fixture ${file}`);
  return load(file);
}
