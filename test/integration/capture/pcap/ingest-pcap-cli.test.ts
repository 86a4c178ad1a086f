import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli } from '../../../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-pcap-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FIXTURE = join(import.meta.dirname, '../../../fixtures/pcap/ferretdb-lo.pcap');

describe('mongo-compat ingest --pcap', () => {
  test('a capture of a real session: the summary on stdout, the capture readable by capture info', async () => {
    const out = join(dir, 'ok.mcap.gz');
    const r = await runCli(['ingest', '--pcap', FIXTURE, '--out', out]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { records: number; source: string; format: string; quality: Record<string, number> };
    expect(summary).toMatchObject({ records: 8, source: 'pcap', format: 'pcap' });
    expect(summary.quality).toMatchObject({ packets: 38, connections: 2, messages: 16, pairs: 8, gaps: 0, lostBytes: 0, messagesLost: 0, unpairedReplies: 0 });
    const info = await runCli(['capture', 'info', '--json', out]);
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ records: 8, connections: 2, byApp: { 'fixture-app': 8 } });
  });

  test('a file that is no capture: one line naming it, MC_INGEST_INPUT, exit 1, no capture written', async () => {
    const bad = join(dir, 'bad.pcap');
    writeFileSync(bad, 'this is not a packet capture');
    const r = await runCli(['ingest', '--pcap', bad, '--out', join(dir, 'bad.mcap.gz')]);
    expect(r.code).toBe(1);
    expect(existsSync(join(dir, 'bad.mcap.gz'))).toBe(false);
    expect(r.stderr.trim().split('\n')).toEqual([`mongo-compat: MC_INGEST_INPUT: ${bad}: not a pcap or pcapng capture: byte 0: magic 0x74686973 is neither pcap nor pcapng`]);
  });

  test('a capture cut mid-packet (tcpdump killed): what came before is kept, the footer and the exit say where', async () => {
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, readFileSync(FIXTURE).subarray(0, 3000));
    const out = join(dir, 'cut.mcap.gz');
    const r = await runCli(['ingest', '--pcap', cut, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/MC_INGEST_TRUNCATED: .*cut\.pcap: input cut short at byte \d+: the input ends \d+ bytes into a packet record after packet \d+/);
    expect((JSON.parse(r.stdout) as { records: number }).records).toBeGreaterThan(0);
    const info = await runCli(['capture', 'info', '--json', out]);
    expect(JSON.parse(info.stdout)).toMatchObject({ inputCut: [expect.objectContaining({ input: cut })] });
  });

  test('--port is checked and goes with --pcap only', async () => {
    const r = await runCli(['ingest', '--pcap', FIXTURE, '--port', '70000', '--out', join(dir, 'p.mcap.gz')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('MC_USAGE: --port 70000: expected a TCP port, 1-65535');
    const s = await runCli(['ingest', '--log', FIXTURE, '--port', '28000', '--out', join(dir, 'p.mcap.gz')]);
    expect(s.stderr).toContain('MC_USAGE: --port goes with --pcap');
  });
});
