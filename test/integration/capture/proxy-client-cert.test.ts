import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../../../harness/capture/proxy/index.ts';
import { startFerretDb, type FerretDbInstance } from '../../../harness/targets/ferretdb.ts';
import { freePort } from '../../../harness/targets/free-port.ts';
import { MemorySink } from '../../helpers/memory-sink.ts';

const PASSWORD = 'k3y-Passw0rd';

/** A CA, a server certificate and an encrypted client certificate signed by it (openssl). */
function makePki(dir: string): { ca: string; serverCert: string; serverKey: string; client: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'server.ext']);
  run(['req', '-newkey', 'rsa:2048', '-keyout', 'client.key', '-passout', `pass:${PASSWORD}`, '-out', 'client.csr', '-subj', '/CN=app-client']);
  run(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '1']);
  writeFileSync(join(dir, 'client.pem'), Buffer.concat([readFileSync(join(dir, 'client.crt')), readFileSync(join(dir, 'client.key'))]));
  return { ca: join(dir, 'ca.pem'), serverCert: join(dir, 'server.pem'), serverKey: join(dir, 'server.key'), client: join(dir, 'client.pem') };
}

describe('the proxy towards an upstream that requires client certificates', () => {
  let dir: string;
  let pki: ReturnType<typeof makePki>;
  let server: FerretDbInstance;
  let tlsPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mc-client-cert-'));
    pki = makePki(dir);
    tlsPort = await freePort();
    server = await startFerretDb({
      name: 'mtls',
      replicaSet: false,
      extraArgs: [`--listen-tls=127.0.0.1:${tlsPort}`, `--listen-tls-cert-file=${pki.serverCert}`, `--listen-tls-key-file=${pki.serverKey}`, `--listen-tls-ca-file=${pki.ca}`],
    });
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const base = () => `mongodb://127.0.0.1:${tlsPort}/?tls=true&directConnection=true&tlsCAFile=${encodeURIComponent(pki.ca)}`;

  it('presents the certificate of tlsCertificateKeyFile (an encrypted key, with its password) and records the traffic', async () => {
    const sink = new MemorySink();
    const upstream = `${base()}&tlsCertificateKeyFile=${encodeURIComponent(pki.client)}&tlsCertificateKeyFilePassword=${PASSWORD}`;
    const proxy = await startProxy({ upstream, sink });
    expect(proxy.upstream).not.toContain(PASSWORD);
    const app = new MongoClient(`mongodb://${proxy.address}/?directConnection=true&appName=mtls-app`, { serverSelectionTimeoutMS: 10_000 });
    try {
      const c = app.db('mtls').collection<{ _id: number; v: string }>('c');
      await c.insertOne({ _id: 1, v: 'with a client certificate' });
      expect(await c.findOne({ _id: 1 })).toEqual({ _id: 1, v: 'with a client certificate' });
    } finally {
      await app.close();
      await proxy.stop();
    }
    expect(sink.records.filter((r) => r.app === 'mtls-app').map((r) => r.cmd)).toEqual(expect.arrayContaining(['insert', 'find']));
  });

  it('without a certificate the server refuses the proxied connection, as it refuses a direct one', async () => {
    const direct = new MongoClient(base(), { serverSelectionTimeoutMS: 3_000 });
    await expect(direct.db('admin').command({ ping: 1 })).rejects.toThrow();
    await direct.close();
    const proxy = await startProxy({ upstream: base(), sink: new MemorySink() });
    const app = new MongoClient(`mongodb://${proxy.address}/?directConnection=true`, { serverSelectionTimeoutMS: 3_000 });
    try {
      await expect(app.db('admin').command({ ping: 1 })).rejects.toThrow();
    } finally {
      await app.close();
      await proxy.stop();
    }
  });
});
