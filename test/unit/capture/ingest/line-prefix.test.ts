import { describe, expect, it } from 'vitest';
import { looksLikeOperation, stripLinePrefix, type PrefixKind } from '../../../../harness/capture/ingest/line-prefix.ts';
import { parseLogLine } from '../../../../harness/capture/ingest/log-line.ts';

/** What mongod wrote: a 4.4+ JSON slow-query line and a 4.2 text one. */
const JSON_LINE =
  '{"t":{"$date":"2024-01-01T00:00:00.000+00:00"},"s":"I","c":"COMMAND","id":51803,"ctx":"conn7","msg":"Slow query","attr":{"type":"command","ns":"shop.orders","command":{"find":"orders","filter":{"x":1},"$db":"shop"},"durationMillis":120}}';
const TEXT_LINE = '2020-05-01T10:00:00.123+0000 I  COMMAND  [conn7] command shop.orders command: find { find: "orders", filter: { x: 1 }, $db: "shop" } planSummary: COLLSCAN keysExamined:0 docsExamined:10 numYields:0 reslen:100 locks:{} protocol:op_msg 120ms';

interface Case {
  readonly runtime: string;
  readonly prefix: string;
  readonly kinds: readonly PrefixKind[];
}

/* One row per way a line reaches us, with the prefix each runtime writes. */
const CASES: readonly Case[] = [
  { runtime: 'mongod itself (no prefix)', prefix: '', kinds: [] },
  { runtime: 'leading spaces', prefix: '   ', kinds: ['whitespace'] },
  { runtime: 'leading tab', prefix: '\t', kinds: ['whitespace'] },
  { runtime: 'docker compose v2 (name-N, padded)', prefix: 'mongo-1  | ', kinds: ['compose'] },
  { runtime: 'docker compose v1 (name_N)', prefix: 'service_1  | ', kinds: ['compose'] },
  { runtime: 'docker compose, no padding', prefix: 'db| ', kinds: ['compose'] },
  { runtime: 'docker logs --timestamps', prefix: '2024-01-01T00:00:00.123456789Z ', kinds: ['docker-timestamp'] },
  { runtime: 'docker compose logs --timestamps', prefix: 'mongo-1  | 2024-01-01T00:00:00.123456789Z ', kinds: ['compose', 'docker-timestamp'] },
  { runtime: 'Kubernetes CRI (containerd, CRI-O), full line', prefix: '2024-01-01T00:00:00.000000000Z stdout F ', kinds: ['cri'] },
  { runtime: 'Kubernetes CRI, stderr with offset', prefix: '2024-01-01T00:00:00.000000000+01:00 stderr F ', kinds: ['cri'] },
  { runtime: 'kubectl logs --timestamps', prefix: '2024-01-01T00:00:00.000000000Z ', kinds: ['docker-timestamp'] },
  { runtime: 'syslog (BSD, one-digit day padded)', prefix: 'Jan  1 00:00:00 db1 mongod[123]: ', kinds: ['syslog'] },
  { runtime: 'journalctl (short)', prefix: 'Jan 01 00:00:00 db1 mongod[123]: ', kinds: ['syslog'] },
  { runtime: 'journalctl -o short-precise', prefix: 'Jan 01 00:00:00.123456 db1 mongod[123]: ', kinds: ['syslog'] },
  { runtime: 'journalctl -o short-iso', prefix: '2024-01-01T00:00:00+0000 db1 mongod[123]: ', kinds: ['syslog'] },
  { runtime: 'rsyslog RFC 3339 template', prefix: '2024-01-01T00:00:00.123456+00:00 db1.example.com mongod[123]: ', kinds: ['syslog'] },
  { runtime: 'syslog tag without pid', prefix: 'Dec 31 23:59:59 db1 mongod: ', kinds: ['syslog'] },
  { runtime: 'syslog shipped from a compose service', prefix: 'mongo-1  | Jan  1 00:00:00 db1 mongod[1]: ', kinds: ['compose', 'syslog'] },
];

describe('stripLinePrefix: prefixes of container runtimes and log shippers', () => {
  for (const c of CASES) {
    for (const [format, line] of [
      ['JSON', JSON_LINE],
      ['text', TEXT_LINE],
    ] as const) {
      it(`${c.runtime}: ${format} line comes back as mongod wrote it, and parses`, () => {
        const s = stripLinePrefix(c.prefix + line);
        expect(s.body).toBe(line);
        expect(s.prefixes).toEqual(c.kinds);
        expect(s.partial).toBe(c.kinds.includes('cri') ? false : undefined);
        const r = parseLogLine(s.body);
        expect(r.kind).toBe('op');
      });
    }
  }

  it('Kubernetes CRI: a P record is a fragment to join with what follows', () => {
    const head = stripLinePrefix(`2024-01-01T00:00:00.000000000Z stdout P ${JSON_LINE.slice(0, 50)}`);
    const tail = stripLinePrefix(`2024-01-01T00:00:00.000000000Z stdout F ${JSON_LINE.slice(50)}`);
    expect(head.partial).toBe(true);
    expect(tail.partial).toBe(false);
    expect(head.body + tail.body).toBe(JSON_LINE);
  });

  it('a 4.x text line is never taken for a syslog or compose prefix', () => {
    expect(stripLinePrefix(TEXT_LINE)).toEqual({ body: TEXT_LINE, prefixes: [] });
    const fourOh = TEXT_LINE.replace(' I  COMMAND', ' I COMMAND');
    expect(stripLinePrefix(fourOh).body).toBe(fourOh);
  });

  it('stops after a bounded number of layers on input that keeps matching', () => {
    const s = stripLinePrefix('a | '.repeat(100) + JSON_LINE);
    expect(s.prefixes.length).toBeLessThanOrEqual(8);
  });
});

describe('looksLikeOperation: what is reported rather than skipped', () => {
  it.each([
    ['a slow query behind an unknown prefix', `>>> ${JSON_LINE}`, true],
    ['a 4.2 COMMAND line behind an unknown prefix', `[db] ${TEXT_LINE}`, true],
    ['a connection line', '{"t":{"$date":"2024-01-01T00:00:00.000+00:00"},"s":"I","c":"NETWORK","id":22943,"msg":"Connection accepted"}', false],
    ['a 4.2 startup line', '2020-05-01T10:00:00.123+0000 I  CONTROL  [main] ***** SERVER RESTARTED *****', false],
    ['an empty line', '', false],
  ])('%s', (_name, line, expected) => {
    expect(looksLikeOperation(line)).toBe(expected);
  });
});
