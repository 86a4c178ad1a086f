#!/usr/bin/env node
// `npm run lint` runs this: dependency-cruiser with the layer rules of
// .dependency-cruiser.mjs over harness/ and scenarios/, then the folder graph of
// harness/ checked for cycles (the rules forbid them already; this names the loop in
// plain words if a rule is ever loosened). Exit 1 on any violation or cycle.
import { readdirSync } from 'node:fs';
import { cruise } from 'dependency-cruiser';
import config, { LAYERS } from '../.dependency-cruiser.mjs';

const result = await cruise(['harness', 'scenarios'], { ...config.options, ruleSet: { forbidden: config.forbidden }, validate: true });
const out = result.output;
let failed = false;

for (const v of out.summary.violations) {
  failed = true;
  const rule = config.forbidden.find((r) => r.name === v.rule.name);
  const what = v.cycle ? v.cycle.map((c) => c.name ?? c).join(' → ') : `${v.from} → ${v.to}`;
  console.error(`${v.rule.name}: ${what}${rule?.comment ? `  (${rule.comment})` : ''}`);
}

// Every top-level entry of harness/ must have a rank, so a new folder is placed on purpose.
const ranked = new Set(LAYERS.flat());
for (const entry of readdirSync('harness')) {
  if (!ranked.has(entry)) {
    failed = true;
    console.error(`layers: harness/${entry} has no rank in .dependency-cruiser.mjs LAYERS`);
  }
}

// Folder graph and its cycles (Tarjan's strongly connected components).
const top = (p) => (p.startsWith('harness/') ? p.split('/')[1] : undefined);
const edges = new Map();
for (const m of out.modules) {
  const a = top(m.source);
  if (!a) continue;
  for (const d of m.dependencies) {
    const b = top(d.resolved);
    if (!b || b === a) continue;
    if (!edges.has(a)) edges.set(a, new Set());
    edges.get(a).add(b);
  }
}
let index = 0;
const idx = new Map(), low = new Map(), stack = [], on = new Set(), cycles = [];
const visit = (v) => {
  idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
  for (const w of edges.get(v) ?? []) {
    if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const scc = [];
    let w;
    do { w = stack.pop(); on.delete(w); scc.push(w); } while (w !== v);
    if (scc.length > 1) cycles.push(scc);
  }
};
for (const v of edges.keys()) if (!idx.has(v)) visit(v);
for (const c of cycles) {
  failed = true;
  console.error(`folder cycle in harness/: ${c.join(' ↔ ')}`);
}

if (failed) process.exitCode = 1;
else console.error(`layers: ${out.summary.totalCruised} modules, ${out.summary.totalDependenciesCruised} imports, no violation, no folder cycle`);
