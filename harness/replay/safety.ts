import ConnectionString from 'mongodb-connection-string-url';

/**
 * Is a target the deployment a capture came from? Writes must never be replayed
 * there. Pure: the caller passes what the target's `hello` and URI say.
 *
 * The capture header names its source as a host (`h:p`), a host list, or a redacted
 * connection string, plus the replica-set name when the source was one. A target is
 * the source when any of its hosts is a source host (the same host, or the same
 * replica set reached through another member), comparing hosts case-insensitively
 * with the default port filled in and loopback names made one.
 */
export interface TargetIdentity {
  readonly setName?: string;
  /** hello.hosts, hello.me and the hosts of the target's connection string. */
  readonly hosts: readonly string[];
}

export interface SourceIdentity {
  readonly host?: string;
  readonly replicaSet?: string;
}

export function sourceMatch(source: SourceIdentity, target: TargetIdentity): string | undefined {
  const sourceHosts = new Set(hostsOf(source.host).map(normaliseHost));
  if (sourceHosts.size === 0) return undefined;
  for (const h of target.hosts) {
    const n = normaliseHost(h);
    if (sourceHosts.has(n)) {
      return source.replicaSet && target.setName === source.replicaSet
        ? `it is replica set ${source.replicaSet} (member ${n}), where the capture was recorded`
        : `it is host ${n}, where the capture was recorded`;
    }
  }
  return undefined;
}

export function hostsOf(text: string | undefined): string[] {
  if (!text) return [];
  const t = text.trim();
  if (/^mongodb(\+srv)?:\/\//i.test(t)) {
    try {
      return new ConnectionString(t).hosts;
    } catch {
      return [];
    }
  }
  return t
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h.length > 0);
}

export function normaliseHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (!/:\d+$/.test(h)) h = `${h}:27017`;
  const colon = h.lastIndexOf(':');
  let name = h.slice(0, colon);
  const port = h.slice(colon + 1);
  if (name === 'localhost' || name === '[::1]' || name === '::1') name = '127.0.0.1';
  return `${name}:${port}`;
}
