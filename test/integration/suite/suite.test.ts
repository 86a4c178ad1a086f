import { existsSync } from 'node:fs';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { EXIT_BITS } from '../../../harness/report/exit-status.ts';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import type { IndexDocument } from '../../../harness/suite/index-page.ts';
import { runScenarios } from '../../../scenarios/lib/run.ts';
import { seedScenario } from '../../../scenarios/lib/seed.ts';
import { SCENARIOS } from '../../../scenarios/registry.ts';
import { runCli } from '../../helpers/cli.ts';

/**
 * `mongo-compat suite` over two apps (monolith and gcsp, each a small scenario capture)
 * × two candidates on FerretDB, run three times with one history. Between the first
 * and the second run one candidate's gcsp rates change: the second run reports
 * difference groups new on that cell alone and exits with the fail bit; the third, on
 * the same data, finds them still open and nothing new.
 */
const SEED = 3;
const SCALE = 0.05;
const OPS = 20;
const APPS = ['monolith', 'gcsp'] as const;
const CHROMIUM = '/usr/bin/chromium';

let base: FerretDbInstance;
let c1: FerretDbInstance;
let c2: FerretDbInstance;
let work: string;
let configFile: string;

async function seed(uri: string): Promise<void> {
  const c = new MongoClient(uri);
  try {
    for (const name of APPS) await seedScenario(c.db(SCENARIOS[name]!.db), SCENARIOS[name]!, SEED, SCALE);
  } finally {
    await c.close();
  }
}

beforeAll(async () => {
  [base, c1, c2] = (await Promise.all(['base', 'c1', 'c2'].map((name) => startFerretDb({ name, replicaSet: false })))) as [FerretDbInstance, FerretDbInstance, FerretDbInstance];
  work = await mkdtemp(join(tmpdir(), 'mc-suite-'));
  // Each app recorded on the baseline server, which is then seeded afresh like the candidates.
  for (const app of APPS) await runScenarios({ names: [app], target: base.uri, throughProxy: false, scale: SCALE, ops: OPS, seed: SEED, out: join(work, `${app}.jsonl.gz`) });
  await Promise.all([seed(base.uri), seed(c1.uri), seed(c2.uri)]);
  configFile = join(work, 'mongo-compat.config.yaml');
  await writeFile(
    configFile,
    stringify({
      targets: { base: base.uri, c1: c1.uri, c2: c2.uri },
      // Latency is not what this test judges: a handful of operations on a busy machine.
      compare: { dataDiffers: 'fail', latency: { minSamples: 1_000_000 } },
      report: { formats: ['html', 'json'] },
      suite: {
        apps: { monolith: { capture: [join(work, 'monolith*.jsonl.gz')], concurrency: 2 }, gcsp: { capture: [join(work, 'gcsp.jsonl.gz')], timing: 'fast' } },
        baseline: 'base',
        candidates: ['c1', 'c2'],
        history: join(work, 'history'),
      },
    }),
  );
}, 120_000);

afterAll(async () => {
  await Promise.all([base?.stop(), c1?.stop(), c2?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

async function suite(out: string, ...flags: string[]): Promise<{ code: number | null; index: IndexDocument; html: string; stderr: string }> {
  const r = await runCli(['suite', '--config', configFile, '--out', join(work, out), ...flags], { timeoutMs: 60_000 });
  const index = JSON.parse(await readFile(join(work, out, 'index.json'), 'utf8')) as IndexDocument;
  const html = await readFile(join(work, out, 'index.html'), 'utf8');
  return { code: r.code, index, html, stderr: r.stderr };
}

const cell = (index: IndexDocument, app: string, candidate: string) => index.cells.find((c) => c.app === app && c.candidate === candidate)!;

describe('mongo-compat suite on FerretDB', () => {
  it('reports only the difference a candidate’s changed data brings as new, fails on it, then keeps it open', async () => {
    const first = await suite('night-1');
    expect(first.stderr).not.toMatch(/ERROR/);
    expect(first.code).toBe(0);
    expect(first.index.cells).toHaveLength(4);
    for (const c of first.index.cells) expect({ app: c.app, candidate: c.candidate, verdict: c.verdict, groups: c.groups.length }).toEqual({ app: c.app, candidate: c.candidate, verdict: 'pass', groups: 0 });

    // Every cell links to its app's report, and the report is there.
    for (const app of APPS) {
      for (const candidate of ['c1', 'c2']) expect(first.html).toMatch(new RegExp(`data-app="${app}" data-candidate="${candidate}"><a href="${app}/report.html">`));
      await access(join(work, 'night-1', app, 'report.html'));
    }

    const client = new MongoClient(c2.uri);
    try {
      await client.db(SCENARIOS.gcsp!.db).collection('rates').updateMany({}, { $inc: { price: 1 } });
    } finally {
      await client.close();
    }

    const second = await suite('night-2');
    expect(second.code! & EXIT_BITS.FAIL).toBe(EXIT_BITS.FAIL);
    expect(second.code! & EXIT_BITS.ERRORS).toBe(0);
    const changed = cell(second.index, 'gcsp', 'c2');
    expect(changed.verdict).toBe('fail');
    expect(changed.changes.previousRunId).toBe(first.index.runId);
    expect(changed.changes.new.length).toBeGreaterThan(0);
    expect(changed.changes.new.every((g) => /^g-[0-9a-f]{12}$/.test(g.id))).toBe(true);
    for (const c of second.index.cells.filter((x) => x !== changed)) expect({ app: c.app, candidate: c.candidate, new: c.changes.new.length, verdict: c.verdict }).toEqual({ app: c.app, candidate: c.candidate, new: 0, verdict: 'pass' });
    expect(second.html).toContain('data-app="gcsp" data-candidate="c2"><a href="gcsp/report.html">');
    expect(second.index.exit.reasons.join(' ')).toMatch(/4: fail with new difference groups: gcsp on c2/);

    // The same data the next night: the same groups, by id, still open; nothing new, so no fail bit under --fail-on new…
    const third = await suite('night-3');
    const open = cell(third.index, 'gcsp', 'c2');
    expect(open.changes.new).toEqual([]);
    expect(open.changes.open.map((g) => g.id).sort()).toEqual(changed.changes.new.map((g) => g.id).sort());
    expect(third.code! & EXIT_BITS.FAIL).toBe(0);
    expect(open.trend.slice(-3)).toEqual(['pass', 'fail', 'fail']);

    // …while --fail-on any fails on them unless they are accepted.
    const accepted = await suite('night-4', '--fail-on', 'any', '--accept', ...open.changes.open.map((g) => g.id));
    expect(accepted.code! & EXIT_BITS.FAIL).toBe(0);
    const history = (await readFile(join(work, 'history', 'history.jsonl'), 'utf8')).trim().split('\n');
    expect(history).toHaveLength(4);
  }, 240_000);

  it('gives, from shards 1/2 and 2/2 merged, the same cells as one unsharded run', async () => {
    const whole = JSON.parse(await readFile(join(work, 'night-3', 'index.json'), 'utf8')) as IndexDocument;
    for (const shard of ['1/2', '2/2']) {
      const r = await runCli(['suite', '--config', configFile, '--out', join(work, `shard-${shard[0]}`), '--shard', shard], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { runs: { app: string; status: string }[] };
      expect(out.runs.map((x) => [x.app, x.status])).toEqual([['monolith', 'complete'], ['gcsp', 'complete']]);
    }
    const merged = await suite('night-merged', '--merge', join(work, 'shard-1'), join(work, 'shard-2'));
    const view = (index: IndexDocument) => index.cells.map((c) => ({ app: c.app, candidate: c.candidate, verdict: c.verdict, groups: c.groups.map((g) => g.id).sort(), newErrors: c.newErrors }));
    expect(view(merged.index)).toEqual(view(whole));
    expect(merged.index.cells.every((c) => c.changes.new.length === 0)).toBe(true);
    expect(merged.code! & EXIT_BITS.FAIL).toBe(0);
  }, 120_000);

  it('stops a cell whose before hook fails, and a hook that rewinds a candidate fixes its groups', async () => {
    // The rewind: the candidate's rates copied back from the baseline, as a clone restored to its snapshot.
    const restore = join(work, 'restore.cjs');
    await writeFile(
      restore,
      `const { MongoClient } = require(${JSON.stringify(createRequire(import.meta.url).resolve('mongodb'))});
(async () => {
  const from = new MongoClient(${JSON.stringify(base.uri)}); const to = new MongoClient(${JSON.stringify(c2.uri)});
  const docs = await from.db('gcsp').collection('rates').find().toArray();
  await to.db('gcsp').collection('rates').deleteMany({}); await to.db('gcsp').collection('rates').insertMany(docs);
  console.log(process.env.MONGO_COMPAT_TARGET, process.env.MONGO_COMPAT_RUN_ID, process.env.MONGO_COMPAT_HOOK, docs.length);
  await from.close(); await to.close();
})().catch((e) => { console.error(e); process.exit(2); });\n`,
    );
    const hooked = join(work, 'hooks.config.yaml');
    const cfg = parse(await readFile(configFile, 'utf8')) as { suite: Record<string, unknown> };
    cfg.suite.apps = { gcsp: { capture: [join(work, 'gcsp.jsonl.gz')] } };
    cfg.suite.hooks = { c1: { before: 'echo cannot rewind c1 >&2; exit 3' }, c2: { before: `node ${JSON.stringify(restore)}`, after: 'echo done' } };
    await writeFile(hooked, stringify(cfg));
    const r = await runCli(['suite', '--config', hooked, '--out', join(work, 'night-hooks')], { timeoutMs: 60_000 });
    const index = JSON.parse(await readFile(join(work, 'night-hooks', 'index.json'), 'utf8')) as IndexDocument;
    const html = await readFile(join(work, 'night-hooks', 'index.html'), 'utf8');
    expect(r.code! & EXIT_BITS.ERRORS).toBe(EXIT_BITS.ERRORS);
    const stopped = cell(index, 'gcsp', 'c1');
    expect(stopped.verdict).toBe('error');
    expect(stopped.error).toMatch(/^before hook of c1 failed with exit status 3 \(see .*gcsp\/hooks\/c1\.before\.log\)$/);
    expect(html).toMatch(/<td class="error" data-app="gcsp" data-candidate="c1"><b>ERROR<\/b><br><small class="cell-error">before hook of c1 failed/);
    expect(await readFile(join(work, 'night-hooks', 'gcsp', 'hooks', 'c1.before.log'), 'utf8')).toBe('cannot rewind c1\n');
    const rewound = cell(index, 'gcsp', 'c2');
    expect(rewound.verdict).toBe('pass');
    expect(rewound.changes.fixed.length).toBeGreaterThan(0);
    const log = await readFile(join(work, 'night-hooks', 'gcsp', 'hooks', 'c2.before.log'), 'utf8');
    expect(log).toMatch(new RegExp(`^c2 ${index.runId} before \\d+\\n$`));
    const report = JSON.parse(await readFile(join(work, 'night-hooks', 'gcsp', 'report.json'), 'utf8')) as { preflight?: { alike: boolean } };
    expect(report.preflight?.alike).toBe(true);
  }, 120_000);

  const why = existsSync(CHROMIUM) ? '' : `${CHROMIUM} is absent (apt-get install chromium)`;
  it.skipIf(why !== '')(`shows the index page in a real browser with no external request, a strip per cell, and links that open the reports${why ? ` (skipped: ${why})` : ''}`, async () => {
    const html = join(work, 'night-3', 'index.html');
    await access(html);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(`file://${html}`);
      expect(await page.locator('#matrix td[data-app]').count()).toBe(4);
      expect(await page.locator('#matrix td[data-app] .strip').count()).toBe(4);
      const strip = page.locator('td[data-app="gcsp"][data-candidate="c2"] .strip span');
      expect(await strip.count()).toBe(3);
      expect((await strip.last().boundingBox())!.width).toBeGreaterThan(5);
      await page.locator('td[data-app="gcsp"][data-candidate="c2"] a').click();
      await page.waitForURL(/gcsp\/report\.html$/);
      expect(await page.locator('h1').first().innerText()).toMatch(/report/i);
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
