import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cruise } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';
import { LAYERS, layerRules } from '../../../.dependency-cruiser.mjs';
import { REPO_ROOT } from '../../helpers/cli.ts';

/** A throwaway tree shaped like harness/, cruised with the real rules. */
const dir = mkdtempSync(join(tmpdir(), 'mc-layers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tree(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

async function violations(): Promise<{ rule: string; from: string; to: string }[]> {
  const res = await cruise(['harness'], { baseDir: dir, validate: true, ruleSet: { forbidden: layerRules('harness') } } as never);
  const out = res.output as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
  return out.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

describe('layer rules', () => {
  it('fire on an upward import, naming the rule and both files', async () => {
    tree({
      'harness/errors.ts': 'export class CompatError extends Error {}\n',
      'harness/model/shape.ts': "import { group } from '../compare/group.ts';\nexport const shape = group;\n",
      'harness/compare/group.ts': "import { CompatError } from '../errors.ts';\nexport const group = CompatError;\n",
    });
    expect(await violations()).toEqual([{ rule: 'layer-model', from: 'harness/model/shape.ts', to: 'harness/compare/group.ts' }]);
  });

  it('fire on an import between siblings of one rank', async () => {
    rmSync(join(dir, 'harness'), { recursive: true, force: true });
    tree({
      'harness/replay/engine.ts': "import { decode } from '../capture/proxy/decoder.ts';\nexport const e = decode;\n",
      'harness/capture/proxy/decoder.ts': 'export const decode = 1;\n',
    });
    expect((await violations()).map((v) => v.rule)).toEqual(['layer-replay']);
  });

  it('accept imports that go down', async () => {
    rmSync(join(dir, 'harness'), { recursive: true, force: true });
    tree({
      'harness/errors.ts': 'export const E = 1;\n',
      'harness/model/record.ts': "import { E } from '../errors.ts';\nexport const R = E;\n",
      'harness/replay/run.ts': "import { R } from '../model/record.ts';\nexport const run = R;\n",
      'harness/report/build.ts': "import { run } from '../replay/run.ts';\nexport const b = run;\n",
    });
    expect(await violations()).toEqual([]);
  });

  it('rank every top-level entry of harness/', () => {
    const ranked = new Set(LAYERS.flat());
    const unranked = readdirSync(join(REPO_ROOT, 'harness')).filter((e) => !ranked.has(e));
    expect(unranked).toEqual([]);
  });
});
