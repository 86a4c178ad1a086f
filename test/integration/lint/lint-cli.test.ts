import { once } from 'node:events';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startProxy } from '../../../harness/capture/proxy/index.ts';
import type { LintResult } from '../../../harness/lint/result.ts';
import { OP_CODES, buildLegacy } from '../../../harness/wire/index.ts';
import { REPO_ROOT, runCli } from '../../helpers/cli.ts';
import { testUri, uniqueDbName } from '../../helpers/fresh-db.ts';

/**
 * Two applications recorded through the real proxy in front of the suite's server: one
 * on the Node driver (OP_MSG after its OP_QUERY handshake) and one speaking legacy
 * opcodes over a raw socket, as very old drivers (the Haskell driver) do. `mongo-compat
 * lint` over the capture must tell them apart.
 */
const FIXTURE_SOURCE = join(REPO_ROOT, 'test/fixtures/lint/source');

let dir: string;
let capture: string;
let dbName: string;

/** Sends legacy messages over one socket, waiting for a reply where the opcode has one. */
async function legacyClient(address: string): Promise<void> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const socket: Socket = connect(port, host);
  await once(socket, 'connect');
  let received = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
  const replyAfter = async (before: number): Promise<void> => {
    const until = Date.now() + 5000;
    while (received.length <= before && Date.now() < until && !socket.destroyed) await new Promise((r) => setTimeout(r, 10));
  };
  const query = (requestId: number, ns: string, doc: BSON.Document) =>
    buildLegacy({ opCode: OP_CODES.OP_QUERY, requestId, flags: 0, fullCollectionName: ns, numberToSkip: 0, numberToReturn: -1, query: Buffer.from(BSON.serialize(doc)) });
  try {
    let mark = received.length;
    socket.write(Buffer.concat(query(1, 'admin.$cmd', { isMaster: 1, client: { application: { name: 'legacy-app' }, driver: { name: 'mongoDB-haskell', version: '2.7' } } })));
    await replyAfter(mark);
    mark = received.length;
    socket.write(Buffer.concat(query(2, `${dbName}.jobs`, { status: 'pending' })));
    await replyAfter(mark);
    mark = received.length;
    socket.write(Buffer.concat(query(3, 'admin.$cmd', { getLastError: 1 })));
    await replyAfter(mark);
    // OP_INSERT has no reply; a server that no longer serves it closes the connection (as 5.1+ do), so it goes last.
    // end() sends it before closing our side; then wait for the connection to be closed either way.
    const closed = once(socket, 'close');
    socket.end(Buffer.concat(buildLegacy({ opCode: OP_CODES.OP_INSERT, requestId: 4, flags: 0, fullCollectionName: `${dbName}.jobs`, documents: [Buffer.from(BSON.serialize({ status: 'pending' }))] })));
    await closed;
  } finally {
    socket.destroy();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-lint-'));
  capture = join(dir, 'two-apps.jsonl.gz');
  dbName = uniqueDbName('lint');
  const proxy = await startProxy({
    upstream: testUri(),
    capture: { path: capture, header: { source: { kind: 'proxy' }, startedAt: new Date().toISOString(), redaction: { mode: 'none' }, replyMode: 'full' } },
  });
  const address = `${proxy.host}:${proxy.port}`;
  try {
    const client = new MongoClient(`mongodb://${address}/?directConnection=true&appName=modern-app`, { serverSelectionTimeoutMS: 10_000 });
    try {
      const orders = client.db(dbName).collection<{ _id: number; createdAt: number; size: { h: number; uom: string } }>('orders');
      await orders.insertMany(Array.from({ length: 30 }, (_, i) => ({ _id: i, createdAt: i % 3, size: { h: i, uom: 'cm' } })));
      // Page 2 of a listing sorted on a non-unique key.
      await orders.find({}).sort({ createdAt: -1 }).skip(10).limit(10).toArray();
      // The same page with a unique tie-breaker: not a finding.
      await orders.find({}).sort({ createdAt: -1, _id: 1 }).skip(10).limit(10).toArray();
      // A projection naming a field and its child: 4.4 refuses it (the server here may too).
      await orders.find({}, { projection: { size: 1, 'size.uom': 1 } }).toArray().catch(() => undefined);
      // Equality to null: 8.0 stops matching undefined values.
      await orders.find({ deletedAt: null }).limit(5).toArray();
    } finally {
      await client.close();
    }
    await legacyClient(address);
  } finally {
    await proxy.stop();
  }
});

afterAll(async () => {
  if (dir && !process.env.KEEP_LINT_TMP) await rm(dir, { recursive: true, force: true });
});

function findings(result: LintResult, app: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of result.apps.find((a) => a.app === app)?.steps ?? []) for (const f of s.findings) out.set(f.rule, s.step);
  return out;
}

describe('mongo-compat lint over a capture recorded through the proxy', () => {
  test('findings per app and step: OP_MSG traffic flags nothing about legacy opcodes, legacy traffic flags the 5.1 removal', async () => {
    const run = await runCli(['lint', '--capture', capture, '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as LintResult;
    expect(result.format).toBe('mongo-compat-lint');
    expect(result.apps.map((a) => a.app).sort()).toEqual(['legacy-app', 'modern-app']);

    const modern = findings(result, 'modern-app');
    expect(modern.get('sort-ties-paging')).toBe('4.4');
    expect(modern.get('projection-path-collision')).toBe('4.4');
    expect(modern.get('implicit-majority-write-concern')).toBe('5.0');
    // Its handshake went over OP_QUERY (the driver's first isMaster), which 6.0 still answers.
    for (const rule of ['op-query-find', 'op-query-command', 'legacy-write-opcodes', 'legacy-opcode-deprecated']) expect(modern.has(rule), rule).toBe(false);
    // Only the page without a tie-breaker is a shape of the finding.
    const app = result.apps.find((a) => a.app === 'modern-app')!;
    const paging = app.steps.flatMap((s) => s.findings).find((f) => f.rule === 'sort-ties-paging')!;
    expect(paging.shapes).toHaveLength(1);
    expect(paging.shapes[0]!.text).toContain('"createdAt":-1}');
    expect(paging.shapes[0]!.text).not.toContain('_id');

    const legacy = findings(result, 'legacy-app');
    expect(legacy.get('op-query-find')).toBe('6.0');
    expect(legacy.get('legacy-write-opcodes')).toBe('6.0');
    expect(legacy.get('getlasterror-removed')).toBe('6.0');
    expect(legacy.get('legacy-opcode-deprecated')).toBe('5.0');
    expect(legacy.get('legacy-hello-only')).toBe('5.0');
    expect(result.maxSeverity).toBe('high');
  });

  test('Markdown per app and step on stdout; --fail-on exits 4 only when met', async () => {
    const md = await runCli(['lint', '--capture', capture, '--fail-on', 'high']);
    expect(md.code).toBe(4);
    expect(md.stdout).toContain('## App `legacy-app`');
    expect(md.stdout).toContain('### 5.0 → 6.0');
    expect(md.stdout).toMatch(/\| high \| `op-query-find` \| 5\.1 \| 1 \|/);
    expect(md.stderr).toContain('--fail-on high met');
    // --out writes both files and prints their paths, one a line.
    const written = await runCli(['lint', '--capture', capture, '--format', 'md,json', '--out', join(dir, 'lint-out')]);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout.trim().split('\n')).toEqual([join(dir, 'lint-out', 'lint.md'), join(dir, 'lint-out', 'lint.json')]);
    // Between 6.0 and 7.0 nothing of these apps changes: exit 0 even for --fail-on info.
    const quiet = await runCli(['lint', '--capture', capture, '--from', '6.0', '--to', '7.0', '--fail-on', 'info', '--format', 'json']);
    expect(quiet.code, quiet.stderr).toBe(0);
    const result = JSON.parse(quiet.stdout) as LintResult;
    expect(result.apps.every((a) => a.steps.length === 1 && a.steps[0]!.step === '7.0' && a.steps[0]!.findings.length === 0)).toBe(true);
  });

  test('--source reports file:line of the names rules know, apart from capture findings', async () => {
    const run = await runCli(['lint', '--capture', capture, '--format', 'json', '--source', FIXTURE_SOURCE]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as LintResult;
    const hits = result.source!.hits.map((h) => `${h.file.slice(FIXTURE_SOURCE.length + 1)}:${h.line} ${h.rule}`);
    expect(hits).toContain('haskell/Queue.hs:8 getlasterror-removed');
    expect(hits).toContain('haskell/Queue.hs:12 legacy-hello-only');
    expect(hits).toContain('java/Reports.java:9 server-side-javascript-deprecated');
    // `Arrays.asList` is not a removed String/Array static.
    expect(hits.some((h) => h.includes('javascript-removed-statics'))).toBe(false);
    expect(result.source!.files).toBe(2);
  });

  test('the compatibility report of a replay of the capture shows the lint findings of the shapes it replayed', async () => {
    const runDir = join(dir, 'run');
    const replay = await runCli(['replay', '--capture', capture, '--baseline', `base=${testUri()}`, '--candidate', `cand=${testUri()}`, '--out', runDir], { timeoutMs: 120_000 });
    expect(replay.code === 0 || replay.code === 2 || replay.code === 4, replay.stderr).toBe(true);
    const report = await runCli(['report', runDir, '--format', 'json,md', '--out', join(dir, 'report')], { timeoutMs: 120_000 });
    const jsonPath = report.stdout.split('\n').find((l) => l.endsWith('.json'))!;
    const { readFile } = await import('node:fs/promises');
    const doc = JSON.parse(await readFile(jsonPath, 'utf8')) as { targets: { serverVersion?: string }[]; lint?: import('../../../harness/report/lint-types.ts').ReportLint };
    expect(doc.lint, report.stderr).toBeDefined();
    // The server here reports 7.0.x: lint runs from 7.0, so only the 8.0 step remains.
    expect(doc.lint!.from).toBe('7.0');
    const modern = doc.lint!.apps.find((a) => a.app === 'modern-app')!;
    const nullRule = modern.findings.find((f) => f.rule === 'null-no-longer-matches-undefined')!;
    expect(nullRule.shapes).toHaveLength(1);
    expect(nullRule.shapes[0]!.shapeText).toContain('deletedAt');
    // The candidate is older than 8.0: the change cannot show there yet.
    expect(nullRule.shapes[0]!.candidates).toEqual([{ candidate: 'cand', behaviour: 'same', judgement: 'before-change' }]);
    // The legacy app's operations were not replayed (legacy opcodes, handshakes): none of its findings is listed.
    expect(doc.lint!.apps.find((a) => a.app === 'legacy-app')).toBeUndefined();
  });

  test('a corrupt record is reported with file and line and skipped; a missing file or a bad version is one clear line', async () => {
    const damaged = join(dir, 'damaged.jsonl.gz');
    const { copyFile } = await import('node:fs/promises');
    await copyFile(capture, damaged);
    await appendFile(damaged, gzipSync('{"seq": "not a record"}\n'));
    const run = await runCli(['lint', '--capture', damaged, '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/damaged\.jsonl\.gz:\d+: MC_CAPTURE_\w+: .*\(skipped\)/);
    const result = JSON.parse(run.stdout) as LintResult;
    expect(result.skipped).toBe(1);
    expect(result.apps.map((a) => a.app).sort()).toEqual(['legacy-app', 'modern-app']);

    const missing = await runCli(['lint', '--capture', join(dir, 'nope.jsonl.gz')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/MC_CAPTURE_UNREADABLE: .*nope\.jsonl\.gz/);

    const backwards = await runCli(['lint', '--capture', capture, '--from', '6.0', '--to', '4.4']);
    expect(backwards.code).toBe(1);
    expect(backwards.stderr).toMatch(/MC_USAGE: --to 4\.4 must come after --from 6\.0/);
    const rapid = await runCli(['lint', '--capture', capture, '--to', '7.3']);
    expect(rapid.stderr).toMatch(/MC_USAGE: --to 7\.3: expected a version of the path/);
  });
});
