import { BSON, type Document } from 'mongodb';

/** Fields of a hello/isMaster reply that name members (SDAM spec, "Parsing a hello or legacy hello response"). */
const HOST_FIELDS = ['hosts', 'passives', 'arbiters'] as const;
const SINGLE_HOST_FIELDS = ['primary', 'me'] as const;

/**
 * Maps upstream member addresses to the proxy's listening addresses, so a driver that
 * discovers the replica set from hello keeps talking to the proxy. Returns true when
 * anything changed. Addresses not in the map are left as they are (a member the proxy
 * does not listen for would be reached directly: `unmappedHosts` names them, and the
 * proxy warns once per member).
 */
export function rewriteHelloHosts(reply: Document, map: ReadonlyMap<string, string>): boolean {
  let changed = false;
  const lookup = (h: unknown): unknown => {
    if (typeof h !== 'string') return h;
    const to = map.get(h.toLowerCase());
    if (to === undefined || to === h) return h;
    changed = true;
    return to;
  };
  for (const f of HOST_FIELDS) if (Array.isArray(reply[f])) reply[f] = (reply[f] as unknown[]).map(lookup);
  for (const f of SINGLE_HOST_FIELDS) if (f in reply) reply[f] = lookup(reply[f]);
  return changed;
}

/** Member addresses a hello reply names that the map has no listener for, lower-cased, each once. */
export function unmappedHosts(reply: Document, map: ReadonlyMap<string, string>): string[] {
  const out = new Set<string>();
  const check = (h: unknown): void => {
    if (typeof h === 'string' && !map.has(h.toLowerCase())) out.add(h.toLowerCase());
  };
  for (const f of HOST_FIELDS) if (Array.isArray(reply[f])) for (const h of reply[f] as unknown[]) check(h);
  for (const f of SINGLE_HOST_FIELDS) if (f in reply) check(reply[f]);
  return [...out];
}

/** Serialises a rewritten reply body; values keep their BSON types. */
export function serialiseBody(doc: Document): Buffer {
  return Buffer.from(BSON.serialize(doc));
}
