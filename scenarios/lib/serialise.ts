import { createHash } from 'node:crypto';
import { BSON } from 'mongodb';
import type { Dataset, Scenario, ScenarioOp } from './model.ts';

/**
 * Canonical Extended JSON of a dataset and of an operation sequence: the bytes the
 * determinism tests compare (same seed, same bytes) and that `scenario list --json`
 * fingerprints. Canonical, so an Int32 and a Double of the same value differ.
 */
export function datasetText(d: Dataset): string {
  return BSON.EJSON.stringify(d.collections as unknown as BSON.Document[], { relaxed: false });
}

export function operationsText(ops: readonly ScenarioOp[]): string {
  return BSON.EJSON.stringify(ops as unknown as BSON.Document[], { relaxed: false });
}

export function fingerprint(s: Scenario, seed: number, scale: number, ops: number): { dataset: string; operations: string } {
  const h = (t: string) => createHash('sha256').update(t).digest('hex').slice(0, 16);
  return { dataset: h(datasetText(s.dataset(seed, scale))), operations: h(operationsText(s.operations(seed, scale, ops))) };
}
