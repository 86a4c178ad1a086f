import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CaptureHeader, OperationRecord } from '../../../harness/model/record.ts';
import { readCapture, readCaptureHeader } from '../../../harness/store/reader.ts';

/**
 * The sample captures in captures/ (made by `npm run captures`): one per application,
 * readable, labelled with the app, a few thousand operations or fewer, and holding the
 * traffic that tells that application apart (what lint and the suite rely on).
 */
const DIR = fileURLToPath(new URL('../../../captures/', import.meta.url));

async function load(name: string): Promise<{ header: CaptureHeader; records: OperationRecord[] }> {
  const file = `${DIR}${name}.jsonl.gz`;
  const records: OperationRecord[] = [];
  const issues: unknown[] = [];
  for await (const r of readCapture(file, { onIssue: (i) => issues.push(i) })) records.push(r);
  expect(issues).toEqual([]);
  return { header: await readCaptureHeader(file), records };
}

const has = (records: OperationRecord[], pred: (r: OperationRecord) => boolean, what: string) => expect(records.some(pred), what).toBe(true);
const json = (v: unknown) => JSON.stringify(v);

const CHECKS: Record<string, (r: OperationRecord[], h: CaptureHeader) => void> = {
  monolith: (r) => {
    has(r, (x) => x.cmd === 'findAndModify' && x.coll === 'optimizeJobs' && json(x.command.sort) === '{"priority":-1,"createdAt":1}', 'job claim sorted by priority and age');
    has(r, (x) => x.cmd === 'findAndModify' && x.coll === 'locks', 'lock documents');
    has(r, (x) => x.cmd === 'findAndModify' && x.coll === 'counters' && x.command.upsert === true, 'counter');
  },
  gcsp: (r) => {
    for (const x of r.filter((y) => y.cmd === 'find' || y.cmd === 'aggregate')) expect(x.command.$readPreference, `seq ${x.seq}`).toEqual({ mode: 'secondaryPreferred' });
    has(r, (x) => x.cmd === 'aggregate' && json(x.command.pipeline).includes('$lookup'), '$lookup');
  },
  hammer: (r, h) => {
    expect(h.replicaSet).toBe('rs0');
    has(r, (x) => x.cmd === 'aggregate' && x.command.allowDiskUse === true, 'allowDiskUse');
    has(r, (x) => x.cmd === 'getMore', 'multi-batch reads');
  },
  capture: (r) => {
    has(r, (x) => x.cmd === 'insert' && (x.command.documents as unknown[]).length >= 5, 'insert bursts');
    has(r, (x) => x.cmd === 'update' && json(x.command.updates).includes('"upsert":true'), 'upserts');
  },
  'data-export': (r) => {
    expect(r.filter((x) => x.cmd === 'getMore').length).toBeGreaterThan(r.filter((x) => x.cmd === 'find').length * 3);
    has(r, (x) => x.cmd === 'find' && x.command.noCursorTimeout === true, 'noCursorTimeout');
  },
  dbupgrader: (r) => {
    for (const cmd of ['createIndexes', 'collMod', 'listIndexes', 'renameCollection', 'dropIndexes']) has(r, (x) => x.cmd === cmd, cmd);
    has(r, (x) => x.cmd === 'update' && Array.isArray((x.command.updates as { u: unknown }[])[0]!.u), 'pipeline update');
  },
  sync24h: (r) => {
    const bulks = r.filter((x) => x.cmd === 'update' && (x.command.updates as unknown[]).length > 5);
    expect(new Set(bulks.map((x) => x.command.ordered))).toEqual(new Set([true, false]));
    has(r, (x) => x.coll === 'checkpoints', 'checkpoints');
  },
  dre: (r) => {
    expect(r.some((x) => x.cmd === 'findAndModify')).toBe(false);
    has(r, (x) => ['hello', 'ismaster'].includes(x.cmd.toLowerCase()) && json(x.command).includes('nodejs|mongoDB-haskell'), 'Haskell driver name');
    has(r, (x) => x.cmd === 'update' && json(x.command.updates).includes('"upsert":true') && json(x.command.updates).includes('"multi":true'), 'updateMany with upsert');
    has(r, (x) => x.cmd === 'createIndexes', 'createIndexes');
    has(r, (x) => x.cmd === 'delete', 'delete');
  },
  'dre-legacy': (r) => {
    has(r, (x) => x.op === 'OP_QUERY' && x.cmd === 'find', 'OP_QUERY finds');
    expect(r.some((x) => x.op === 'OP_MSG' && x.cmd === 'find')).toBe(false);
  },
};

describe.each(Object.keys(CHECKS))('sample capture %s', (name) => {
  it(`is labelled, a few thousand operations at most, with the app's own traffic`, async () => {
    expect(existsSync(`${DIR}${name}.jsonl.gz`), 'missing: run npm run captures').toBe(true);
    const { header, records } = await load(name);
    const app = name === 'dre-legacy' ? 'dre' : name;
    expect(header.app).toBe(app);
    expect(records.length).toBeGreaterThan(300);
    expect(records.length).toBeLessThan(5000);
    expect(records.filter((x) => x.app !== app)).toEqual([]);
    CHECKS[name]!(records, header);
  });
});
