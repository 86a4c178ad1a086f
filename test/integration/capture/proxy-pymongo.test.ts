import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';
import { startProxy } from '../../../harness/capture/proxy/index.ts';
import { REPO_ROOT } from '../../helpers/cli.ts';
import { startCompressionShim } from '../../helpers/compression-shim.ts';
import { testUri, uniqueDbName } from '../../helpers/fresh-db.ts';
import { MemorySink } from '../../helpers/memory-sink.ts';
import { compareHops, startTap } from '../../helpers/tcp-tap.ts';
import { WORKLOAD_COMMANDS } from '../../helpers/node-workload.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(REPO_ROOT, 'test/helpers/pymongo-workload.py');
const HANDSHAKE = new Set(['hello', 'isMaster', 'ismaster', 'endSessions']);

interface PyResult {
  results: unknown[];
  started: [number, string][];
}

async function pymongo(uri: string): Promise<PyResult> {
  const { stdout } = await run(PYTHON, [SCRIPT, uri, uniqueDbName('py')], { timeout: 60_000 });
  return JSON.parse(stdout) as PyResult;
}

function hostPort(uri: string): [string, number] {
  const m = /^mongodb:\/\/([^/:]+):(\d+)/.exec(uri)!;
  return [m[1]!, Number(m[2])];
}

const available = await run(PYTHON, ['-c', 'import pymongo']).then(
  () => true,
  () => false,
);

describe.skipIf(!available)('proxy with Python pymongo (Debian python3-pymongo)', () => {
  let direct: PyResult;
  beforeAll(async () => {
    direct = await pymongo(testUri());
  });

  // pymongo 3.11 on Debian ships zlib only (snappy and zstd need python-snappy/zstandard, not installed).
  test.each([undefined, 'zlib'] as const)('workload through the proxy (compression %s): same results, same bytes, the capture holds exactly its operations', async (compressor) => {
    const [host, port] = hostPort(testUri());
    const shim = compressor ? await startCompressionShim(host, port) : undefined;
    const [uh, up] = shim ? hostPort(`mongodb://${shim.address}`) : [host, port];
    const tapB = await startTap(uh, up);
    const sink = new MemorySink();
    const proxy = await startProxy({ upstream: `mongodb://${tapB.address}/?directConnection=true`, sink });
    const tapA = await startTap(proxy.host, proxy.port);
    let result: PyResult;
    try {
      result = await pymongo(`mongodb://${tapA.address}/?directConnection=true&appName=py-app${compressor ? `&compressors=${compressor}` : ''}`);
      // The script has exited, its sockets closed; once every hop has seen them close,
      // every byte sent has crossed every hop.
      await waitFor(() => tapA.openSockets === 0 && proxy.stats.connectionsOpen === 0 && tapB.openSockets === 0, {
        what: 'both taps and the proxy to see every connection close',
      });
    } finally {
      await proxy.stop();
      await tapA.stop();
      await tapB.stop();
      await shim?.stop();
    }
    expect(result.results).toEqual(direct.results);
    expect(compareHops(tapA.connections, tapB.connections)).toBeUndefined();
    const sent = result.started.filter(([, name]) => !HANDSHAKE.has(name)).sort((a, b) => a[0] - b[0]);
    const ops = sink.records.filter((r) => !HANDSHAKE.has(r.cmd));
    const recorded = ops.map((r) => [r.wire?.requestId, r.cmd]).sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(recorded).toEqual(sent);
    for (const name of WORKLOAD_COMMANDS) expect(recorded.map((r) => r[1])).toContain(name);
    expect(ops.every((r) => r.app === 'py-app')).toBe(true);
    if (compressor) expect(ops.every((r) => r.wire?.compressor === compressor)).toBe(true);
  });
});

