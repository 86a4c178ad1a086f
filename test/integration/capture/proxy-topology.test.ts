import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, test } from 'vitest';
import { startProxy } from '../../../harness/capture/proxy/index.ts';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { freePort } from '../../../harness/targets/free-port.ts';
import { uniqueDbName } from '../../helpers/fresh-db.ts';
import { MemorySink } from '../../helpers/memory-sink.ts';

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
});

describe('proxy topology', () => {
  test('replica-set discovery stays behind the proxy: hello hosts are rewritten to the proxy address', async () => {
    const server: FerretDbInstance = await startFerretDb({ name: 'rs', replicaSet: true });
    stops.push(() => server.stop());
    const sink = new MemorySink();
    const proxy = await startProxy({ upstream: `mongodb://127.0.0.1:${server.port}/?replicaSet=rs0`, sink });
    stops.push(() => proxy.stop());
    expect(proxy.members).toHaveLength(1);
    const client = new MongoClient(`mongodb://${proxy.address}/?replicaSet=rs0&appName=rs-app`, { serverSelectionTimeoutMS: 10_000 });
    const opened: string[] = [];
    client.on('serverOpening', (e) => opened.push(e.address));
    try {
      const hello = await client.db('admin').command({ hello: 1 });
      expect(hello.setName).toBe('rs0');
      expect(hello.hosts).toEqual([proxy.address]);
      const coll = client.db(uniqueDbName('rs')).collection<{ _id: number }>('c');
      await coll.insertOne({ _id: 1 });
      expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1 });
      // The driver's view of the set names only the proxy.
      expect(new Set(opened)).toEqual(new Set([proxy.address]));
    } finally {
      await client.close();
    }
    const ops = sink.records.filter((r) => r.app === 'rs-app').map((r) => r.cmd);
    expect(ops).toContain('insert');
    expect(ops).toContain('find');
    // The record keeps what the server said, not the rewritten list.
    const helloRecord = sink.records.find((r) => r.cmd === 'hello' && r.reply?.mode === 'full')!;
    expect(helloRecord.reply?.mode === 'full' && helloRecord.reply.doc.hosts).toEqual([`127.0.0.1:${server.port}`]);
  });

  test('TLS on both sides: clients terminate at the proxy with its certificate, the proxy verifies the upstream with a CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-tls-'));
    stops.push(async () => rmSync(dir, { recursive: true, force: true }));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    const tlsPort = await freePort();
    const server = await startFerretDb({
      name: 'tls',
      replicaSet: false,
      extraArgs: [`--listen-tls=127.0.0.1:${tlsPort}`, `--listen-tls-cert-file=${cert}`, `--listen-tls-key-file=${key}`],
    });
    stops.push(() => server.stop());
    const sink = new MemorySink();
    const proxy = await startProxy({
      upstream: `mongodb://127.0.0.1:${tlsPort}/?tls=true&directConnection=true`,
      upstreamTls: { ca: readFileSync(cert) },
      tls: { cert: readFileSync(cert), key: readFileSync(key) },
      sink,
    });
    stops.push(() => proxy.stop());
    const client = new MongoClient(`mongodb://${proxy.address}/?tls=true&tlsCAFile=${encodeURIComponent(cert)}&directConnection=true&appName=tls-app`, { serverSelectionTimeoutMS: 10_000 });
    try {
      const coll = client.db(uniqueDbName('tls')).collection<{ _id: number; v: string }>('c');
      await coll.insertOne({ _id: 1, v: 'over tls' });
      expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, v: 'over tls' });
    } finally {
      await client.close();
    }
    // A plain-text client cannot talk to the TLS listener; the proxy survives it.
    const plain = new MongoClient(`mongodb://${proxy.address}/?directConnection=true`, { serverSelectionTimeoutMS: 1500 });
    await expect(plain.db('admin').command({ ping: 1 })).rejects.toThrow();
    await plain.close();
    const ops = sink.records.filter((r) => r.app === 'tls-app').map((r) => r.cmd);
    expect(ops).toEqual(expect.arrayContaining(['insert', 'find']));
  });
});
