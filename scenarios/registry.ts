import { capture } from './capture/index.ts';
import { dataExport } from './data-export/index.ts';
import { dbupgrader } from './dbupgrader/index.ts';
import { dre, dreLegacy } from './dre/index.ts';
import { gcsp } from './gcsp/index.ts';
import { hammer } from './hammer/index.ts';
import type { Scenario } from './lib/model.ts';
import { monolith } from './monolith/index.ts';
import { sync24h } from './sync24h/index.ts';

/** Every scenario by name, in the order `scenario list` shows them. */
export const SCENARIOS: Readonly<Record<string, Scenario>> = Object.freeze(
  Object.fromEntries([monolith, gcsp, hammer, capture, dataExport, dbupgrader, sync24h, dre, dreLegacy].map((s) => [s.name, s])),
);

export type { Scenario, ScenarioOp, Dataset, ClientProfile } from './lib/model.ts';
