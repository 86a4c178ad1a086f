import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import { CompatError } from '../../../harness/errors.ts';
import { EXIT_BITS } from '../../../harness/report/exit-status.ts';
import { runSuite } from '../../../harness/suite/run-suite.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-suite-run-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const config = (suite: Record<string, unknown>) => ConfigSchema.parse({ targets: { base: 'mongodb://127.0.0.1:9/' }, suite: { history: join(dir, 'history'), baseline: 'base', candidates: ['c1=mongodb://127.0.0.1:10/'], ...suite } });

describe('runSuite without servers', () => {
  it('refuses a suite with no apps, no baseline or no candidates in one line', async () => {
    await expect(runSuite({ config: config({}), out: dir })).rejects.toSatisfy((e) => e instanceof CompatError && e.code === 'MC_SUITE' && /^suite\.apps: no apps/.test((e as Error).message));
    await expect(runSuite({ config: config({ apps: { a: { capture: ['x'] } }, candidates: [] }), out: dir })).rejects.toThrow(/^suite\.candidates: no candidate/);
  });

  it('makes an app whose captures match nothing an error cell, still writes the index and the history, and sets the errors bit', async () => {
    const lines: string[] = [];
    const r = await runSuite({ config: config({ apps: { shop: { capture: [join(dir, 'none-*.jsonl.gz')] } } }), out: join(dir, 'out'), log: (l) => lines.push(l) });
    expect(r.index.cells).toHaveLength(1);
    expect(r.index.cells[0]).toMatchObject({ app: 'shop', candidate: 'c1', verdict: 'error' });
    expect(r.index.cells[0]!.error).toMatch(/^MC_SUITE: suite\.apps\.shop\.capture: .*none-\*\.jsonl\.gz matches no file$/);
    expect(r.index.exit.status).toBe(EXIT_BITS.ERRORS);
    expect(await readFile(r.files.html, 'utf8')).toContain('class="error" data-app="shop" data-candidate="c1"');
    expect((await readFile(r.files.history, 'utf8')).trim().split('\n')).toHaveLength(1);
    expect(lines.some((l) => l.includes('matches no file'))).toBe(true);
  });

  it('asks the resolver for a scenario app and reports its refusal as the cell error', async () => {
    const asked: string[] = [];
    const r = await runSuite({
      config: config({ apps: { gcsp: { scenario: 'nope' } } }),
      out: join(dir, 'out'),
      resolveScenario: (name) => {
        asked.push(name);
        return Promise.reject(new CompatError('MC_USAGE', `unknown scenario ${name}`));
      },
    });
    expect(asked).toEqual(['nope']);
    expect(r.index.cells[0]!.error).toBe('MC_USAGE: unknown scenario nope');
  });
});
