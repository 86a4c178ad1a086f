import ConnectionString from 'mongodb-connection-string-url';
import { TargetSpecError } from '../errors.ts';
import { redactUri } from './redact.ts';
import { TARGET_KINDS, type TargetKind, type TargetSpec } from './types.ts';

/**
 * Parses a target argument. Grammar:
 *
 *   [NAME=]mongodb://…            an existing deployment (also mongodb+srv://, or uri:mongodb://…)
 *   [NAME=]ferretdb[:VERSION][+rs]
 *   [NAME=]ferretdb-pg[:VERSION][+rs]      FerretDB over a throwaway PostgreSQL
 *   [NAME=]memory-server:VERSION[+rs]      e.g. memory-server:4.4.29+rs
 *   [NAME=]container:TAG|IMAGE:TAG[+rs]    e.g. container:7.0, container:mongo:7.0+rs
 *
 * `+rs` asks for a single-node replica set. NAME defaults to the kind and version.
 */
export function parseTargetSpec(text: string): TargetSpec {
  const input = text.trim();
  if (input === '') throw new TargetSpecError('empty target: expected NAME=TARGET, e.g. baseline=ferretdb');
  let name: string | undefined;
  let body = input;
  const eq = input.indexOf('=');
  const scheme = input.search(/[a-z+]+:\/\//i);
  if (eq > 0 && (scheme === -1 || eq < scheme)) {
    name = input.slice(0, eq).trim();
    body = input.slice(eq + 1).trim();
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
      throw new TargetSpecError(`target name '${name}' may only hold letters, digits, '_', '.' and '-'`);
    }
  }
  if (body.startsWith('uri:')) body = body.slice(4);
  if (/^mongodb(\+srv)?:\/\//i.test(body)) return uriSpec(name, body);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(body)) {
    throw new TargetSpecError(`target '${redactUri(body)}': a connection string must start with mongodb:// or mongodb+srv://`);
  }

  let replicaSet = false;
  if (body.endsWith('+rs')) {
    replicaSet = true;
    body = body.slice(0, -3);
  }
  const colon = body.indexOf(':');
  const kindText = colon === -1 ? body : body.slice(0, colon);
  const version = colon === -1 ? undefined : body.slice(colon + 1);
  if (!isKind(kindText) || kindText === 'uri') {
    throw new TargetSpecError(
      `unknown target kind '${kindText}': expected a mongodb:// URI, ferretdb, ferretdb-pg, memory-server:VERSION or container:TAG`,
    );
  }
  const kind = kindText;
  if (version !== undefined && !/^[A-Za-z0-9_./:@-]+$/.test(version)) {
    throw new TargetSpecError(`target '${input}': version '${version}' is not a version or image tag`);
  }
  if ((kind === 'memory-server' || kind === 'container') && !version) {
    throw new TargetSpecError(`target '${input}': ${kind} needs a version, e.g. ${kind}:${kind === 'container' ? '7.0' : '4.4.29'}`);
  }
  return {
    name: name ?? (version ? `${kind}-${version.replace(/[^A-Za-z0-9_.-]/g, '-')}` : kind),
    kind,
    version,
    replicaSet,
  };
}

function uriSpec(name: string | undefined, uri: string): TargetSpec {
  let hosts: string[];
  try {
    hosts = new ConnectionString(uri).hosts;
  } catch (err) {
    // The parser's message quotes the input, password and all: keep only its words.
    const reason = (err as Error).message.replace(/"[^"]*"/g, '').replace(/\s+in\s*$/, '').trim();
    throw new TargetSpecError(`malformed connection string '${redactUri(uri)}': ${reason}`, { cause: err });
  }
  return { name: name ?? hosts[0]!.replace(/[^A-Za-z0-9_.-]/g, '-'), kind: 'uri', uri, replicaSet: false };
}

function isKind(text: string): text is TargetKind {
  return (TARGET_KINDS as readonly string[]).includes(text);
}
