import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { runPcapIngest } from '../../../../harness/capture/pcap/ingest-pcap.ts';
import { CaptureFileParser, type CapturedPacket } from '../../../../harness/capture/pcap/file-format.ts';
import { decodeFrame } from '../../../../harness/capture/pcap/packet.ts';
import { MemorySink } from '../../../helpers/memory-sink.ts';
import { writePcap } from '../../../fixtures/pcap/writer.ts';

/** Captures tcpdump wrote of the Node driver talking to FerretDB on a non-default port (record-fixtures.ts). */
const FIXTURES = ['ferretdb-lo.pcap', 'ferretdb-any.pcap'];
const COMMANDS = ['ismaster', 'ismaster', 'insert', 'find', 'update', 'delete', 'dropDatabase', 'endSessions'];

async function ingest(bytes: Buffer) {
  const sink = new MemorySink();
  const result = await runPcapIngest({ input: 'fixture', out: 'unused', stream: Readable.from([bytes]), openSink: async () => sink });
  return { result, records: sink.records };
}

function packetsOf(bytes: Buffer): CapturedPacket[] {
  const out: CapturedPacket[] = [];
  const p = new CaptureFileParser((pk) => out.push({ ...pk, data: Buffer.from(pk.data) }), () => undefined);
  p.push(bytes);
  return out;
}

describe.each(FIXTURES)('real tcpdump capture %s', (name) => {
  const bytes = readFileSync(new URL(`../../../fixtures/pcap/${name}`, import.meta.url));

  test('every operation of the workload, found on a port it was not told, paired, named by the client metadata', async () => {
    const { result, records } = await ingest(bytes);
    expect([...records].sort((a, b) => a.seq - b.seq).map((r) => r.cmd)).toEqual(COMMANDS);
    expect(records.every((r) => r.app === 'fixture-app' && /^127\.0\.0\.1:\d+$/.test(r.client ?? ''))).toBe(true);
    expect(records.filter((r) => r.cmd !== 'endSessions').every((r) => r.reply?.mode === 'full' && r.dur !== null)).toBe(true);
    expect(result.quality).toMatchObject({ connections: 2, gaps: 0, messagesLost: 0, unpairedReplies: 0, desyncs: 0, otherConnections: 0 });
  });

  test('the capture started late: the connection is joined at the first whole message', async () => {
    const packets = packetsOf(bytes);
    // Drop every packet before the insert's, and the insert's first 10 payload bytes are gone with a cut frame.
    const { records: all } = await ingest(bytes);
    const insertT = all.find((r) => r.cmd === 'insert')!.t;
    const late = packets.filter((p) => p.tsUs > insertT);
    const { result, records } = await ingest(writePcap(late));
    expect(records.map((r) => r.cmd)).toEqual(expect.arrayContaining(['find', 'update', 'delete', 'dropDatabase']));
    expect(records.map((r) => r.cmd)).not.toContain('insert');
    expect(records.filter((r) => r.cmd === 'find').every((r) => r.app?.startsWith('unknown@127.0.0.1:'))).toBe(true);
    expect(result.quality.connectionsJoinedMidStream).toBeGreaterThan(0);
  });

  test('a snap length that cuts the larger messages: the cuts are counted as lost bytes and messages, the small messages still come through', async () => {
    const packets = packetsOf(bytes);
    const syn = decodeFrame(packets[0]!.linkType, packets[0]!.data, packets[0]!.origLen);
    if (typeof syn === 'string') throw new Error(syn);
    const cut = packets.map((p) => ({ linkType: p.linkType, tsUs: p.tsUs, data: p.data.subarray(0, 300), origLen: p.origLen }));
    const sink = new MemorySink();
    const { quality } = await runPcapIngest({ input: 'fixture', out: 'unused', ports: [syn.dstPort], stream: Readable.from([writePcap(cut, { snapLen: 300 })]), openSink: async () => sink });
    const whole = packets.reduce((n, p) => n + Math.max(0, p.data.length - 300), 0);
    expect(quality.lostBytes).toBe(whole);
    expect(quality.messagesLost).toBeGreaterThan(0);
    expect(quality.desyncs).toBe(0);
    expect(sink.records.length).toBeGreaterThan(0);
    expect(sink.records.length).toBeLessThan(COMMANDS.length);
  });
});

describe('a capture of a 3.3 shell and server from mongo-tools (mongoreplay/compressed.pcap, see fixtures/pcap/SOURCES.md)', () => {
  const bytes = readFileSync(new URL('../../../fixtures/pcap/mongoreplay-compressed.pcap', import.meta.url));

  test('OP_COMMAND inside snappy OP_COMPRESSED, and a first request numbered 0, are read and paired', async () => {
    const { result, records } = await ingest(bytes);
    const sorted = [...records].sort((a, b) => a.seq - b.seq);
    expect(sorted.map((r) => r.cmd)).toEqual(['isMaster', 'whatsmyuri', 'buildinfo', 'insert', 'count', 'update']);
    expect(sorted.every((r) => r.reply?.mode === 'full' && r.notReplayable === undefined && r.app === 'MongoDB Shell')).toBe(true);
    expect(sorted.slice(1).every((r) => r.wire?.compressor === 'snappy' && r.op === 'OP_MSG')).toBe(true);
    expect(sorted[0]!.wire?.requestId).toBe(0);
    expect(sorted.find((r) => r.cmd === 'insert')).toMatchObject({ db: 'mongotape', coll: 'test' });
    expect(result.quality).toMatchObject({ connections: 1, messages: 12, pairs: 6, unpairedReplies: 0, undecodable: 0, gaps: 0 });
  });
});
