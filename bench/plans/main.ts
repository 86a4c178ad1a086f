// `npm run bench -- plans [--shapes N] [--runs R]`: how fast `mongo-compat plans` explains
// a run's shapes on FerretDB, against the driver's own explain loop in the same run.
//
// 1. starts FerretDB (SQLite), seeds a collection with an index;
// 2. writes a run directory of N distinct find shapes (default 300) with two targets,
//    both that server (so every shape is explained twice, as on a baseline and a candidate);
// 3. baseline: the same explain commands through the driver (one client per target, the
//    same concurrency per target, nothing read, normalised, diffed or written);
// 4. `explainRun` over the run directory: reads the outcomes, picks, explains, normalises,
//    diffs, writes plans.json.
// Runs alternate; the median of the R pairwise ratios is reported. Target (issue 18): ratioToDriver ≥ 0.8.
// Last line: one JSON object.
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { BSON, MongoClient } from 'mongodb';
import { PlansConfigSchema } from '../../harness/config/schema.ts';
import { emptyCounts, OUTCOMES_FILE, RUN_FORMAT, RUN_FORMAT_VERSION } from '../../harness/model/run/files.ts';
import { writeRunJson } from '../../harness/model/run/writer.ts';
import type { OperationOutcome } from '../../harness/model/run/outcome.ts';
import { shapeOf } from '../../harness/model/shape.ts';
import { explainRun } from '../../harness/plans/run-plans.ts';
import { ShapePicker } from '../../harness/plans/select.ts';
import { startFerretDb } from '../../harness/targets/ferretdb.ts';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const SHAPES = arg('shapes', 300);
const RUNS = arg('runs', 7);
const CONCURRENCY = 4;
const config = PlansConfigSchema.parse({});

const server = await startFerretDb({ name: 'bench-plans', replicaSet: false });
const work = mkdtempSync(join(tmpdir(), 'mc-bench-plans-'));
try {
  const seedClient = new MongoClient(server.uri);
  const coll = seedClient.db('shop').collection('items');
  await coll.insertMany(Array.from({ length: 2_000 }, (_, i) => ({ a: i, b: i % 10, c: `k${i}` })));
  await coll.createIndex({ a: 1 });
  await seedClient.close();

  const outcomes: OperationOutcome[] = Array.from({ length: SHAPES }, (_, i) => {
    const command = { find: 'items', filter: { [`f${i}`]: new BSON.Int32(i) }, sort: { a: new BSON.Int32(1) }, limit: new BSON.Int32(5) };
    return { seq: i, conn: 'c1', db: 'shop', coll: 'items', cmd: 'find', shape: shapeOf(command).id, command, targets: { A: { status: 'ok' }, B: { status: 'ok' } } };
  });
  await writeFile(join(work, OUTCOMES_FILE), outcomes.map((o) => BSON.EJSON.stringify(o, { relaxed: false })).join('\n') + '\n');
  const now = new Date().toISOString();
  await writeRunJson(work, {
    format: RUN_FORMAT,
    version: RUN_FORMAT_VERSION,
    status: 'complete',
    inputs: [],
    targets: [
      { name: 'A', role: 'baseline', uri: server.uri },
      { name: 'B', role: 'candidate', uri: server.uri },
    ],
    options: {},
    counts: emptyCounts(),
    notes: [],
    startedAt: now,
    endedAt: now,
  });

  // The driver's loop explains exactly what explainRun sends.
  const picker = new ShapePicker(config, 'A');
  for (const o of outcomes) picker.add(o);
  const commands = picker.picks().map((p) => p.explain);
  if (commands.length !== SHAPES) throw new Error(`expected ${SHAPES} picks, got ${commands.length}`);

  const driverLoop = async (): Promise<number> => {
    const clients = [new MongoClient(server.uri), new MongoClient(server.uri)];
    const t0 = performance.now();
    await Promise.all(
      clients.map((c) => {
        const limit = pLimit(CONCURRENCY);
        const db = c.db('shop');
        return Promise.all(commands.map((cmd) => limit(() => db.command(cmd))));
      }),
    );
    // Closing is part of the job on both sides: explainRun closes its clients before it returns.
    await Promise.all(clients.map((c) => c.close()));
    return performance.now() - t0;
  };
  const plansRun = async (): Promise<number> => {
    const t0 = performance.now();
    const { result } = await explainRun(work, { config, concurrency: CONCURRENCY });
    const ms = performance.now() - t0;
    if (result.counts.failed > 0 || result.shapes.length !== SHAPES) throw new Error(`plans: ${result.counts.failed} failed explains of ${result.shapes.length}`);
    return ms;
  };

  await driverLoop(); // warm-up: FerretDB's first explains of a table are slower
  await plansRun();
  const driver: number[] = [];
  const plans: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    driver.push(await driverLoop());
    plans.push(await plansRun());
  }
  // Each plans run follows a driver run: their ratio is taken pair by pair, and the
  // median of those kept, so load from other processes that drifts between pairs
  // (2 cores, shared) weighs on both sides of a ratio alike.
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const driverShapesPerSec = SHAPES / (median(driver) / 1000);
  const plansShapesPerSec = SHAPES / (median(plans) / 1000);
  const ratioToDriver = median(driver.map((d, i) => d / plans[i]!));
  process.stderr.write(`driver explain loop: ${driverShapesPerSec.toFixed(0)} shapes/s (2 targets, ${CONCURRENCY} in flight each); mongo-compat plans: ${plansShapesPerSec.toFixed(0)} shapes/s; ratio ${ratioToDriver.toFixed(2)} (target ≥ 0.8)\n`);
  process.stdout.write(
    `${JSON.stringify({ bench: 'plans', shapes: SHAPES, targets: 2, runs: RUNS, driverMs: driver.map(Math.round), plansMs: plans.map(Math.round), driverShapesPerSec: Math.round(driverShapesPerSec), plansShapesPerSec: Math.round(plansShapesPerSec), ratioToDriver: Number(ratioToDriver.toFixed(3)), target: 0.8, met: ratioToDriver >= 0.8 })}\n`,
  );
} finally {
  await server.stop();
  if (!process.env.KEEP) rmSync(work, { recursive: true, force: true });
  else process.stderr.write(`kept ${work}\n`);
}
