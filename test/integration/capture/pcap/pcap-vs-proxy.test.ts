import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, describe, expect, test } from 'vitest';
import { CaptureFileParser } from '../../../../harness/capture/pcap/file-format.ts';
import { decodeFrame, TCP_FLAGS } from '../../../../harness/capture/pcap/packet.ts';
import { startProxy } from '../../../../harness/capture/proxy/index.ts';
import type { CompressorName } from '../../../../harness/wire/index.ts';
import type { OperationRecord } from '../../../../harness/model/record.ts';
import { readCapture } from '../../../../harness/store/reader.ts';
import { REPO_ROOT, runCli } from '../../../helpers/cli.ts';
import { startCompressionShim } from '../../../helpers/compression-shim.ts';
import { testUri, uniqueDbName } from '../../../helpers/fresh-db.ts';
import { MemorySink } from '../../../helpers/memory-sink.ts';
import { nodeWorkload, WORKLOAD_COMMANDS } from '../../../helpers/node-workload.ts';
import { waitFor } from '../../../helpers/wait-for.ts';

/**
 * Why tcpdump cannot capture here, or undefined when it can: it must be installed
 * (Debian's `tcpdump`, installed by .ci/run) and allowed to open the loopback device
 * (root or CAP_NET_RAW).
 */
function cannotCapture(): string | undefined {
  const probe = spawnSync('tcpdump', ['-i', 'lo', '-c', '1', '-w', '/dev/null', '--immediate-mode', 'tcp port 9'], { timeout: 1500, encoding: 'utf8' });
  if (probe.error && (probe.error as NodeJS.ErrnoException).code === 'ENOENT') return 'tcpdump is not installed (apt-get install tcpdump)';
  if (/permission|Operation not permitted|You don't have permission/i.test(probe.stderr ?? '')) return `tcpdump cannot open lo: ${probe.stderr.trim().split('\n')[0]}`;
  if (!/listening on lo/.test(probe.stderr ?? '')) return `tcpdump cannot capture on lo: ${(probe.stderr ?? '').trim().split('\n')[0] ?? 'no output'}`;
  return undefined;
}

const reason = cannotCapture();
const dir = mkdtempSync(join(tmpdir(), 'mc-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startTcpdump(file: string, port: number): Promise<ChildProcess> {
  // -U and --immediate-mode: every packet reaches the file as it is captured; -Z root: write as ourselves.
  const child = spawn('tcpdump', ['-i', 'lo', '-s', '0', '-U', '--immediate-mode', '-Z', 'root', '-w', file, `tcp port ${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  await waitFor(() => stderr.includes('listening on'), { what: 'tcpdump to start listening on lo' });
  return child;
}

/** FIN segments in the capture so far: both sides of every connection have closed once there are two per connection. */
function finCount(file: string): number {
  let fins = 0;
  const parser = new CaptureFileParser(
    (p) => {
      const s = decodeFrame(p.linkType, p.data, p.origLen);
      if (typeof s !== 'string' && (s.flags & TCP_FLAGS.FIN) !== 0) fins++;
    },
    () => undefined,
  );
  parser.push(readFileSync(file));
  return fins;
}

/** Per client connection: each operation's command name, command and reply, in request order. */
function byConnection(records: readonly OperationRecord[], withReplies: boolean): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of [...records].sort((a, b) => a.seq - b.seq)) {
    const list = out.get(r.client!) ?? [];
    // hello's reply: the proxy may rewrite hosts in what it hands on. endSessions: the driver hangs up
    // without waiting for its reply, which the proxy reads from the server but the client's side never
    // carries. For both the comparison keeps the command only.
    const reply = withReplies && !/^(hello|ismaster|endSessions)$/i.test(r.cmd) && r.reply?.mode === 'full' ? BSON.EJSON.stringify(r.reply.doc, { relaxed: false }) : '';
    list.push(`${r.cmd} ${BSON.EJSON.stringify(r.command, { relaxed: false })} ${reply}`);
    out.set(r.client!, list);
  }
  return out;
}

describe.skipIf(reason !== undefined)(`pcap ingest of real driver traffic${reason ? ` (skipped: ${reason})` : ''}`, () => {
  test.each([[undefined], ['snappy' as const]])('tcpdump -i lo and the proxy record the same commands, in the same order per connection, with the same replies (compression: %s)', async (compressor: CompressorName | undefined) => {
    const [, host, port] = /^mongodb:\/\/([^/:]+):(\d+)/.exec(testUri())!;
    // FerretDB does not negotiate compression: a relay in front of it does, as a MongoDB server would.
    const shim = compressor ? await startCompressionShim(host!, Number(port)) : undefined;
    const sink = new MemorySink();
    const proxy = await startProxy({ upstream: shim ? `mongodb://${shim.address}` : testUri(), sink });
    const pcap = join(dir, `lo-${compressor ?? 'plain'}.pcap`);
    const tcpdump = await startTcpdump(pcap, proxy.port);
    let exited: Promise<unknown> | undefined;
    try {
      const client = new MongoClient(`mongodb://${proxy.address}/?directConnection=true&appName=pcap-app${compressor ? `&compressors=${compressor}` : ''}`, { serverSelectionTimeoutMS: 10_000 });
      try {
        const db = client.db(uniqueDbName('pcap'));
        await nodeWorkload(db);
        await db.dropDatabase();
      } finally {
        await client.close();
      }
      await waitFor(() => proxy.stats.connectionsOpen === 0, { what: 'the proxy to see every connection close' });
      const connections = proxy.stats.connectionsTotal;
      await waitFor(() => finCount(pcap) >= 2 * connections, { what: `tcpdump to write the FIN of both sides of ${connections} connection(s)` });
    } finally {
      exited = new Promise((resolve) => tcpdump.once('exit', resolve));
      tcpdump.kill('SIGINT');
      await exited;
      await proxy.stop();
      await shim?.stop();
    }

    const out = join(dir, `lo-${compressor ?? 'plain'}.mcap.gz`);
    const cli = await runCli(['ingest', '--pcap', pcap, '--port', String(proxy.port), '--out', out]);
    expect(cli.stderr).toMatch(/ingested \d+ operation\(s\) from \d+ packet\(s\)/);
    expect(cli.code).toBe(0);
    const summary = JSON.parse(cli.stdout) as { records: number; source: string; quality: Record<string, number> };
    expect(summary.source).toBe('pcap');
    expect(summary.quality).toMatchObject({ gaps: 0, lostBytes: 0, messagesLost: 0, unpairedReplies: 0, desyncs: 0, connectionsJoinedMidStream: 0 });
    expect(summary.quality.connections).toBe(proxy.stats.connectionsTotal);

    const fromPcap: OperationRecord[] = [];
    for await (const r of readCapture(out)) fromPcap.push(r);
    expect(fromPcap.length).toBe(summary.records);
    expect(fromPcap.length).toBe(sink.records.length);
    for (const name of WORKLOAD_COMMANDS) expect(fromPcap.map((r) => r.cmd)).toContain(name);
    expect(fromPcap.every((r) => r.app === 'pcap-app')).toBe(true);
    // The driver compresses every command after the handshake once the server agreed.
    if (compressor) expect(fromPcap.filter((r) => r.cmd === 'find').every((r) => r.wire?.compressor === compressor)).toBe(true);

    const proxied = byConnection(sink.records, true);
    const captured = byConnection(fromPcap, true);
    expect([...captured.keys()].sort()).toEqual([...proxied.keys()].sort());
    for (const [client, ops] of proxied) expect(captured.get(client), `connection from ${client}`).toEqual(ops);
  });
});

describe.skipIf(reason !== undefined)(`live capture on standard input${reason ? ` (skipped: ${reason})` : ''}`, () => {
  test('tcpdump -w - | ingest --pcap -: ends cleanly at the end of the stream with every operation', async () => {
    const [, , port] = /^mongodb:\/\/([^/:]+):(\d+)/.exec(testUri())!;
    const out = join(dir, 'live.mcap.gz');
    const cli = spawn(process.execPath, [join(REPO_ROOT, 'bin/mongo-compat.js'), 'ingest', '--pcap', '-', '--port', port!, '--out', out], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    cli.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const cliExit = new Promise<number | null>((resolve) => cli.once('exit', resolve));
    const tcpdump = spawn('tcpdump', ['-i', 'lo', '-s', '0', '-U', '--immediate-mode', '-w', '-', `tcp port ${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    tcpdump.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // The test sits on the pipe, as `tee` would, to see when the last FIN has passed.
    let syns = 0;
    let fins = 0;
    let rsts = 0;
    const watch = new CaptureFileParser(
      (p) => {
        const s = decodeFrame(p.linkType, p.data, p.origLen);
        if (typeof s === 'string') return;
        if ((s.flags & TCP_FLAGS.SYN) !== 0 && (s.flags & TCP_FLAGS.ACK) === 0) syns++;
        if ((s.flags & TCP_FLAGS.FIN) !== 0) fins++;
        if ((s.flags & TCP_FLAGS.RST) !== 0) rsts++;
      },
      () => undefined,
    );
    tcpdump.stdout!.on('data', (d: Buffer) => {
      watch.push(d);
      cli.stdin!.write(d);
    });
    tcpdump.stdout!.on('end', () => cli.stdin!.end());
    try {
      await waitFor(() => stderr.includes('listening on'), { what: 'tcpdump to start listening on lo' });
      const client = new MongoClient(`${testUri()}${testUri().includes('?') ? '&' : '/?'}appName=live-app`);
      try {
        const db = client.db(uniqueDbName('live'));
        await nodeWorkload(db);
        await db.dropDatabase();
      } finally {
        await client.close();
      }
      // A connection ends with a FIN from each side, or a reset.
      await waitFor(() => syns > 0 && fins + 2 * rsts >= 2 * syns, { what: `both sides of every connection to close in the capture (${syns} SYN, ${fins} FIN, ${rsts} RST so far)` });
    } finally {
      tcpdump.kill('SIGINT');
    }
    expect(await cliExit).toBe(0);
    const summary = JSON.parse(stdout) as { records: number; interrupted: boolean; apps: Record<string, number>; commands: Record<string, number>; quality: Record<string, number> };
    expect(summary.interrupted).toBe(false);
    expect(summary.apps['live-app']).toBeGreaterThan(0);
    for (const name of WORKLOAD_COMMANDS) expect(Object.keys(summary.commands)).toContain(name);
    expect(summary.quality).toMatchObject({ gaps: 0, messagesLost: 0, connections: syns });
  });

  test('Ctrl-C on a stream that has not ended: what was read is written and the summary says so', async () => {
    const out = join(dir, 'interrupted.mcap.gz');
    const cli = spawn(process.execPath, [join(REPO_ROOT, 'bin/mongo-compat.js'), 'ingest', '--pcap', '-', '--out', out], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    cli.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const cliExit = new Promise<number | null>((resolve) => cli.once('exit', resolve));
    cli.stdin!.write(readFileSync(join(REPO_ROOT, 'test/fixtures/pcap/ferretdb-lo.pcap')));
    // The capture file exists once the first records were handed to the writer: reading is under way.
    await waitFor(() => existsSync(out), { what: 'the ingest to open its capture file' });
    cli.kill('SIGINT');
    expect(await cliExit).toBe(0);
    const summary = JSON.parse(stdout) as { records: number; interrupted: boolean };
    expect(summary).toMatchObject({ interrupted: true, records: 8 });
    const records: OperationRecord[] = [];
    for await (const r of readCapture(out)) records.push(r);
    expect(records).toHaveLength(8);
  });
});
