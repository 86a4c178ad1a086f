import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ScenarioError } from '../../harness/errors.ts';

/**
 * A throw-away self-signed certificate for the proxy's TLS listener (DRE connects over
 * TLS), made with the `openssl` command; the directory is removed by `dispose`.
 */
export interface TempCert {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly certFile: string;
  dispose(): Promise<void>;
}

export async function makeTempCert(): Promise<TempCert> {
  const dir = await mkdtemp(join(tmpdir(), 'mc-scenario-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  try {
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new ScenarioError(`TLS for the dre scenarios needs the openssl command to make a throw-away certificate (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  return { cert: await readFile(certFile), key: await readFile(keyFile), certFile, dispose: () => rm(dir, { recursive: true, force: true }) };
}
