import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { startProxy } from '../../harness/capture/proxy/index.ts';
import { DEMO_APP } from '../../harness/demo/run-demo.ts';
import { shapeOf } from '../../harness/model/shape.ts';
import { readCapture } from '../../harness/store/reader.ts';
import type { RunningTarget } from '../../harness/targets/types.ts';
import { DEMO_DB, DEMO_SEED, seed } from '../../scenarios/demo/dataset.ts';
import { runWorkload } from '../../scenarios/demo/workload.ts';
import { STORE_APP, STORE_DB, seedStore } from './store-dataset.ts';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./pymongo-workload.py', import.meta.url));
/** Debian's python3-pymongo lives with the system interpreter (a pyenv `python3` on PATH may lack it). */
export const PYTHON = process.env.BENCH_VERDICTS_PYTHON ?? '/usr/bin/python3';

/** Commands the capture must hold for the bench to test what it says it tests. */
const REQUIRED = ['buildInfo', 'hello', 'serverStatus', 'listIndexes', 'distinct', 'find', 'aggregate', 'findAndModify', 'insert', 'update'] as const;

export interface Capture {
  readonly files: readonly string[];
  /** Records per app. */
  readonly perApp: Readonly<Record<string, number>>;
  /** Records per command name. */
  readonly perCmd: Readonly<Record<string, number>>;
  /** The price lookup's shape (pymongo `find_one` on `prices` by sku) and its count. */
  readonly lookupShape: string;
  readonly lookups: number;
  /** The audit upsert's shape (findAndModify): the command a unique index makes fail. */
  readonly auditUpsertShape: string;
  /** The audit insert's shape: refused by the same index, as a write error in an ok reply. */
  readonly auditInsertShape: string;
  readonly dropped: number;
}

/** Seeds both databases of the bench on one server: the demo's shop (as the baseline holds it) and the store. */
export async function seedServer(uri: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
  try {
    await seed(client.db(DEMO_DB), { candidate: false });
    await seedStore(client.db(STORE_DB));
  } finally {
    await client.close();
  }
}

/**
 * One capture through the recording proxy in front of `source` (seeded first): the
 * demo's workload on the Node driver (app shop-monolith), then the store service on
 * pymongo (app py-store). One proxy and one file, so connection ids and seqs are unique
 * across both apps, as in any capture of a shared deployment.
 */
export async function recordCapture(source: RunningTarget, dir: string, lookups: number, log: (line: string) => void): Promise<Capture> {
  await seedServer(source.uri);
  const path = join(dir, 'capture.jsonl.gz');
  const proxy = await startProxy({
    upstream: source.uri,
    capture: {
      path,
      header: {
        source: { kind: 'proxy', host: new URL(source.displayUri.replace(/^mongodb:/, 'http:')).host },
        startedAt: new Date().toISOString(),
        redaction: { mode: 'none' },
        replyMode: 'full',
        serverVersion: source.serverVersion,
      },
    },
    replyMode: 'full',
  });
  let sent: Record<string, number>;
  try {
    const node = new MongoClient(`mongodb://${proxy.address}/?directConnection=true&appName=${DEMO_APP}`, { maxPoolSize: 4, serverSelectionTimeoutMS: 10_000 });
    try {
      await runWorkload(node.db(DEMO_DB), DEMO_SEED);
    } finally {
      await node.close();
    }
    const { stdout } = await run(PYTHON, [SCRIPT, `mongodb://${proxy.address}/?directConnection=true&appName=${STORE_APP}`, STORE_DB, String(lookups)], { timeout: 120_000 });
    sent = JSON.parse(stdout) as Record<string, number>;
  } finally {
    await proxy.stop();
  }
  log(`pymongo sent ${Object.entries(sent).map(([k, v]) => `${k}×${v}`).join(' ')}`);

  const perApp: Record<string, number> = {};
  const perCmd: Record<string, number> = {};
  let lookupShape = '';
  let auditInsertShape = '';
  let auditUpsertShape = '';
  let lookupCount = 0;
  for await (const rec of readCapture(proxy.files)) {
    perApp[rec.app ?? '(none)'] = (perApp[rec.app ?? '(none)'] ?? 0) + 1;
    perCmd[rec.cmd] = (perCmd[rec.cmd] ?? 0) + 1;
    const filter = rec.command.filter as Record<string, unknown> | undefined;
    if (rec.cmd === 'find' && rec.coll === 'prices' && filter?.sku !== undefined) {
      lookupShape = shapeOf(rec.command).id;
      lookupCount++;
    }
    if (rec.cmd === 'insert' && rec.coll === 'audit') auditInsertShape = shapeOf(rec.command).id;
    if (rec.cmd === 'findAndModify' && rec.coll === 'audit') auditUpsertShape = shapeOf(rec.command).id;
  }
  const missing = REQUIRED.filter((c) => !perCmd[c]);
  const lacking = [...missing, ...(lookupShape ? [] : ['the price lookup']), ...(auditUpsertShape ? [] : ['the audit upsert']), ...(auditInsertShape ? [] : ['the audit insert'])];
  if (lacking.length > 0) throw new Error(`the capture lacks ${lacking.join(', ')}; records per command: ${JSON.stringify(perCmd)}`);
  return { files: proxy.files, perApp, perCmd, lookupShape, lookups: lookupCount, auditUpsertShape, auditInsertShape, dropped: proxy.stats.dropped };
}
