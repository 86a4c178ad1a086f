import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationRecord } from '../../../harness/model/record.ts';
import { replay } from '../../../harness/replay/run.ts';
import { compareRunDir } from '../../../harness/report/compare-run.ts';
import { readCapture } from '../../../harness/store/reader.ts';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { runScenarios, type ScenarioRunResult } from '../../../scenarios/lib/run.ts';
import { seedScenario } from '../../../scenarios/lib/seed.ts';
import { SCENARIOS } from '../../../scenarios/registry.ts';

/**
 * Every scenario driven through the real recording proxy into FerretDB (one-member
 * replica sets, so gcsp's read preference and Hammer's replicaSet connection are
 * real), then each capture replayed with writes against two fresh FerretDB servers
 * seeded alike: zero differences and a PASS verdict per app. Bounded: 40 operations
 * per scenario at a tenth of the dataset size.
 */
const SEED = 5;
const SCALE = 0.1;
const OPS = 40;
const PLAIN = ['monolith', 'gcsp', 'hammer', 'capture', 'data-export', 'dbupgrader', 'sync24h'];
const TLS = ['dre', 'dre-legacy'];

let source: FerretDbInstance;
let a: FerretDbInstance;
let b: FerretDbInstance;
let work: string;
const runs: Record<string, { result: ScenarioRunResult; records: OperationRecord[] }> = {};

async function capture(names: string[], file: string): Promise<void> {
  const out = join(work, file);
  const result = await runScenarios({ names, target: source.uri, throughProxy: true, scale: SCALE, ops: OPS, seed: SEED, out });
  const records: OperationRecord[] = [];
  for await (const r of readCapture(result.files)) records.push(r);
  runs[file] = { result, records };
}

async function seedAll(uri: string): Promise<void> {
  const c = new MongoClient(uri);
  try {
    for (const name of [...PLAIN, ...TLS]) await seedScenario(c.db(SCENARIOS[name]!.db), SCENARIOS[name]!, SEED, SCALE);
  } finally {
    await c.close();
  }
}

beforeAll(async () => {
  [source, a, b] = (await Promise.all(['src', 'a', 'b'].map((name) => startFerretDb({ name, replicaSet: true })))) as [FerretDbInstance, FerretDbInstance, FerretDbInstance];
  work = await mkdtemp(join(tmpdir(), 'mc-scenarios-'));
  await capture(PLAIN, 'plain.jsonl.gz');
  await capture(TLS, 'tls.jsonl.gz');
}, 120_000);

afterAll(async () => {
  await Promise.all([source?.stop(), a?.stop(), b?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

const of = (file: string, app: string) => runs[file]!.records.filter((r) => r.app === app);

describe('scenarios captured through the proxy', () => {
  it('label every operation with its app and keep each app’s distinctive traffic', () => {
    const plain = 'plain.jsonl.gz';
    for (const app of PLAIN) expect(of(plain, app).length, app).toBeGreaterThanOrEqual(OPS);
    // Monolith: the job claim, findAndModify sorted by priority then age.
    expect(of(plain, 'monolith').some((r) => r.cmd === 'findAndModify' && r.coll === 'optimizeJobs' && JSON.stringify(r.command.sort) === '{"priority":-1,"createdAt":1}')).toBe(true);
    // GCSP: the driver really sends the read preference (secondaryPreferred: a one-member set).
    const gcspReads = of(plain, 'gcsp').filter((r) => r.cmd === 'find' || r.cmd === 'aggregate');
    expect(gcspReads.length).toBeGreaterThan(0);
    for (const r of gcspReads) expect(r.command.$readPreference).toMatchObject({ mode: 'secondaryPreferred' });
    expect(runs[plain]!.result.scenarios.find((s) => s.name === 'gcsp')!.readPreference).toBe('secondaryPreferred');
    // Hammer: allowDiskUse aggregations.
    expect(of(plain, 'hammer').some((r) => r.cmd === 'aggregate' && r.command.allowDiskUse === true)).toBe(true);
    // data-export: long cursors.
    expect(of(plain, 'data-export').filter((r) => r.cmd === 'getMore').length).toBeGreaterThan(OPS);
    // DBUpgrader: collMod is sent and FerretDB's refusal is recorded.
    const collMod = of(plain, 'dbupgrader').find((r) => r.cmd === 'collMod')!;
    expect(collMod.error?.message ?? '').toMatch(/not implemented/);
    expect(of(plain, 'dbupgrader').some((r) => r.cmd === 'renameCollection' && r.db === 'admin' && r.error === undefined)).toBe(true);
    // 24 Hour Sync: unordered and ordered bulk upserts.
    const bulk = of(plain, 'sync24h').filter((r) => r.cmd === 'update' && Array.isArray(r.command.updates) && (r.command.updates as unknown[]).length > 5);
    expect(new Set(bulk.map((r) => r.command.ordered))).toEqual(new Set([true, false]));
    // Capture: bursts of many inserts in one command.
    expect(of(plain, 'capture').some((r) => r.cmd === 'insert' && (r.command.documents as unknown[]).length >= 5)).toBe(true);
  });

  it('drive dre over TLS with the Haskell driver name, and its legacy variant as OP_QUERY finds that FerretDB refuses', () => {
    const dre = of('tls.jsonl.gz', 'dre');
    // The driver's own handshake (not the legacy client's) carries the Haskell driver's name after its own.
    const hellos = dre.filter((r) => ['hello', 'ismaster'].includes(r.cmd.toLowerCase()) && r.command.client !== undefined);
    expect(hellos.map((r) => JSON.stringify(r.command)).some((t) => t.includes('"nodejs|mongoDB-haskell"'))).toBe(true);
    expect(dre.some((r) => r.cmd === 'findAndModify')).toBe(false);
    expect(dre.some((r) => r.cmd === 'createIndexes' && r.db === 'dre')).toBe(true);
    const legacy = dre.filter((r) => r.op === 'OP_QUERY' && r.cmd === 'find' && r.db === 'dre_legacy');
    expect(legacy.length).toBeGreaterThan(0);
    expect(JSON.stringify(legacy[0]!.reply ?? legacy[0]!.error)).toMatch(/OP_QUERY is no longer supported/);
    expect(dre.some((r) => r.op === 'OP_MSG' && r.cmd === 'find' && r.db === 'dre')).toBe(true);
  });
});

describe('scenario captures replayed against two fresh servers seeded alike', () => {
  beforeAll(async () => {
    await Promise.all([seedAll(a.uri), seedAll(b.uri)]);
  }, 60_000);

  for (const file of ['plain.jsonl.gz', 'tls.jsonl.gz']) {
    it(`${file}: zero differences and PASS for every app`, async () => {
      const dir = join(work, `run-${file}`);
      const { run } = await replay({ captures: runs[file]!.result.files, baselines: [`A=${a.uri}`], candidates: [`B=${b.uri}`], out: dir, allowWrites: true, concurrency: 4 });
      expect(run.counts.differences).toBe(0);
      expect(run.state?.differences ?? 0).toBe(0);
      const { compare } = await compareRunDir(dir);
      const apps = new Set(runs[file]!.result.scenarios.map((s) => s.app));
      expect(new Set(compare.verdicts.map((v) => v.app))).toEqual(apps);
      for (const v of compare.verdicts) expect({ app: v.app, level: v.level, reasons: v.reasons.map((r) => r.message) }).toEqual({ app: v.app, level: 'pass', reasons: [] });
    }, 90_000);
  }
});
