import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintCaptures } from '../../../harness/lint/lint.ts';
import { openCaptureWriter } from '../../../harness/store/writer.ts';

/**
 * Two proxies' captures linted together: both name their first connection p1:1, and
 * each is its own application's recording. Their connections are counted apart, as a
 * replay names them, and each record takes its own file's header app.
 */
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-lint-recordings-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function proxyCapture(name: string, app: string, startedAt: string): Promise<string> {
  const file = join(work, `${name}.jsonl.gz`);
  const w = await openCaptureWriter(file, { app, source: { kind: 'proxy', host: 'db1:27017' }, startedAt, redaction: { mode: 'none' }, replyMode: 'none' });
  // No app on the records: the header's is the default.
  for (let seq = 0; seq < 3; seq++) w.write({ seq, t: 1_000 + seq, dur: 5, conn: 'p1:1', db: 'shop', coll: 'items', cmd: 'find', op: 'OP_QUERY', command: { find: 'items', filter: {} } });
  await w.close();
  return file;
}

describe('lint of separate recordings given together', () => {
  it('counts their connections apart and names each example by its recording, each record under its own header app', async () => {
    const a = await proxyCapture('a', 'billing', '2026-12-01T10:00:00.000Z');
    const b = await proxyCapture('b', 'billing', '2026-12-01T11:00:00.000Z');
    const c = await proxyCapture('c', 'search', '2026-12-01T12:00:00.000Z');
    const result = await lintCaptures([a, b, c], { from: '4.2', to: '8.0' });
    expect(result.records).toBe(9);
    const finding = (app: string) => result.apps.find((x) => x.app === app)!.steps.flatMap((s) => s.findings).find((f) => f.rule === 'op-query-find')!;
    expect(finding('billing')).toMatchObject({ ops: 6, connections: 2 });
    expect(finding('billing').shapes[0]!.example.conn).toBe('1/p1:1');
    expect(finding('search')).toMatchObject({ ops: 3, connections: 1 });
    expect(finding('search').shapes[0]!.example.conn).toBe('3/p1:1');
    // One recording alone keeps its connection names.
    expect((await lintCaptures([a], { from: '4.2', to: '8.0' })).apps[0]!.steps.flatMap((s) => s.findings).find((f) => f.rule === 'op-query-find')!.shapes[0]!.example.conn).toBe('p1:1');
  });
});
