#!/usr/bin/env node
// Regenerates the sample captures in captures/: one per application, each scenario
// run through the recording proxy into a fresh local FerretDB one-member replica set
// (started and stopped by `mongo-compat scenario run`), with a fixed seed, so a
// rerun records the same operations. captures/README.md describes the files.
//
//   npm run captures                 every app
//   npm run captures -- gcsp hammer  only these
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SEED = '17';
// Operations per scenario and dataset scale: a few thousand records each (cursor
// scenarios record a getMore per batch) in small files; Hammer and data-export are
// the slow ones on FerretDB (no index use, every document decoded per read).
const PLAN = [
  ['monolith', 2000, 0.5],
  ['gcsp', 2000, 0.5],
  ['hammer', 500, 0.3],
  ['capture', 1500, 0.5],
  ['data-export', 250, 0.5],
  ['dbupgrader', 2000, 0.5],
  ['sync24h', 700, 0.5],
  ['dre', 2000, 0.5],
  ['dre-legacy', 2000, 0.5],
];

const only = process.argv.slice(2);
const unknown = only.filter((n) => !PLAN.some(([name]) => name === n));
if (unknown.length) {
  process.stderr.write(`make-captures: unknown scenario ${unknown.join(', ')}; expected ${PLAN.map(([n]) => n).join(', ')}\n`);
  process.exit(1);
}
let failed = 0;
for (const [name, ops, scale] of PLAN) {
  if (only.length && !only.includes(name)) continue;
  const out = `captures/${name}.jsonl.gz`;
  process.stderr.write(`make-captures: ${name} (${ops} operations, scale ${scale}) -> ${out}\n`);
  const r = spawnSync(process.execPath, ['bin/mongo-compat.js', 'scenario', 'run', name, '--target', 'ferretdb+rs', '--through-proxy', '--ops', String(ops), '--scale', String(scale), '--seed', SEED, '--out', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    failed++;
    process.stderr.write(`make-captures: ${name} failed (exit ${r.status})\n`);
  }
}
process.exit(failed ? 1 : 0);
