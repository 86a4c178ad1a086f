/**
 * The layering of harness/, checked by `npm run lint` (dependency-cruiser).
 *
 * Folders in dependency order, top first: a folder may import only folders of a lower
 * rank, never one of its own rank (siblings stay independent) or above. Two stages that
 * need the same type take it from `model/`. ARCHITECTURE.md describes each folder.
 *
 *   8  cli                                  the command line, an adapter over the stages
 *   7  demo · suite                         whole jobs made of stages (suite: the nightly regression replay)
 *   6  report                               the report document and its renderers
 *      shadow                               live mirror of production's traffic, compared as it flows
 *   5  compare                              pure comparison of run outcomes
 *   4  contention                           the findAndModify benchmark (may use replay's transport)
 *      plans                                explain per shape, normalised plan trees, plan changes
 *   3  replay · capture · lint              drivers of servers and of traffic; static lint of captures
 *   2  wire · store · targets · config      codec, capture files, servers, settings
 *   1  model                                capture record, run format, histograms, shapes
 *   0  errors.ts · package-root.ts          the error hierarchy; where the package's files are
 */
export const LAYERS = Object.freeze([
  ['errors.ts', 'package-root.ts'],
  ['model'],
  ['wire', 'store', 'targets', 'config', 'types'],
  ['replay', 'capture', 'lint'],
  ['contention', 'plans'],
  ['compare'],
  ['report', 'shadow'],
  ['demo', 'suite'],
  ['cli'],
]);

const esc = (s) => s.replace(/[.]/g, '\\.');
const folderPath = (root, name) => (name.endsWith('.ts') ? `^${esc(root)}/${esc(name)}$` : `^${esc(root)}/${esc(name)}/`);

/** One forbidden rule per folder: imports of its own rank or above. */
export function layerRules(root = 'harness') {
  const rules = [];
  LAYERS.forEach((layer, rank) => {
    const notBelow = LAYERS.slice(rank).flat();
    for (const name of layer) {
      if (name === 'cli') continue;
      const others = notBelow.filter((n) => n !== name);
      if (others.length === 0) continue;
      rules.push({
        name: `layer-${name.replace(/\.ts$/, '')}`,
        comment: `harness/${name} is rank ${rank}: it may import only folders of a lower rank (see .dependency-cruiser.mjs and ARCHITECTURE.md)`,
        severity: 'error',
        from: { path: folderPath(root, name) },
        to: { path: others.map((n) => folderPath(root, n)) },
      });
    }
  });
  rules.push({
    name: 'scenarios-only-from-the-top',
    comment: 'scenarios/ are workloads: only demo and cli run them (suite gets their captures through cli)',
    severity: 'error',
    from: { path: `^${esc(root)}/`, pathNot: [folderPath(root, 'demo'), folderPath(root, 'cli')] },
    to: { path: '^scenarios/' },
  });
  rules.push({
    name: 'no-circular',
    comment: 'a module cycle inside a folder is a design smell; break it with a type in model/ or a smaller file',
    severity: 'error',
    from: { path: `^${esc(root)}/` },
    to: { circular: true },
  });
  rules.push({
    name: 'production-never-imports-tests',
    comment: 'harness/ runs in production: nothing in test/ or bench/ may be needed there',
    severity: 'error',
    from: { path: `^${esc(root)}/` },
    to: { path: '^(test|bench)/' },
  });
  return rules;
}

export default {
  forbidden: layerRules('harness'),
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|harness/targets/ferretdb-go/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6', 'cjs'],
  },
};
