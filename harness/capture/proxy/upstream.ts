import ConnectionString from 'mongodb-connection-string-url';
import { ProxyError } from '../../errors.ts';
import { redactUri } from '../../targets/redact.ts';

export interface UpstreamMember {
  readonly host: string;
  readonly port: number;
}

export interface UpstreamSpec {
  readonly members: readonly UpstreamMember[];
  readonly tls: boolean;
  readonly tlsCAFile?: string;
  /** A PEM file with the client certificate and its key, for a server that requires one (x.509, or a CA file set). */
  readonly tlsCertificateKeyFile?: string;
  /** Its key's password, when the key is encrypted; never printed. */
  readonly tlsCertificateKeyFilePassword?: string;
  readonly tlsAllowInvalid: boolean;
  readonly replicaSet?: string;
  readonly directConnection: boolean;
  /** The URI without credentials: the only form that is ever printed or stored. */
  readonly display: string;
}

/**
 * Reads the members and TLS settings the proxy needs from a connection string.
 * Credentials in it are never used by the proxy (the app authenticates through it)
 * and never leave this function.
 */
export function parseUpstream(uri: string): UpstreamSpec {
  let cs: ConnectionString;
  try {
    cs = new ConnectionString(uri);
  } catch (err) {
    throw new ProxyError(`--upstream ${redactUri(uri)}: not a MongoDB connection string`, { cause: err });
  }
  if (cs.isSRV) throw new ProxyError(`--upstream ${redactUri(uri)}: mongodb+srv is not supported by the proxy; give the members as mongodb://h1,h2,…`);
  const members = cs.hosts.map((h) => {
    const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(h);
    if (!m) throw new ProxyError(`--upstream ${redactUri(uri)}: cannot read host ${h}`);
    return { host: m[1]!, port: m[2] ? Number(m[2]) : 27017 };
  });
  const q = cs.searchParams;
  const flag = (name: string) => (q.get(name) ?? '').toLowerCase() === 'true';
  const tlsCAFile = q.get('tlsCAFile') ?? undefined;
  const tlsCertificateKeyFile = q.get('tlsCertificateKeyFile') ?? undefined;
  const tlsCertificateKeyFilePassword = q.get('tlsCertificateKeyFilePassword') ?? undefined;
  const replicaSet = q.get('replicaSet') ?? undefined;
  return {
    members,
    tls: flag('tls') || flag('ssl'),
    tlsAllowInvalid: flag('tlsInsecure') || flag('tlsAllowInvalidCertificates'),
    directConnection: flag('directConnection'),
    display: redactUri(uri),
    ...(tlsCAFile ? { tlsCAFile } : {}),
    ...(tlsCertificateKeyFile ? { tlsCertificateKeyFile } : {}),
    ...(tlsCertificateKeyFilePassword ? { tlsCertificateKeyFilePassword } : {}),
    ...(replicaSet ? { replicaSet } : {}),
  };
}
