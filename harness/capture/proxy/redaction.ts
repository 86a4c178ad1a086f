import { createHmac } from 'node:crypto';
import { BSON, type Document } from 'mongodb';

/** Capture-time redaction, chosen once per proxy. */
export type RedactionOptions =
  | { readonly mode: 'none' }
  /** Values at the named field paths become keyed HMACs: equal values stay equal, so joins still work. */
  | { readonly mode: 'hash-paths'; readonly paths: readonly string[]; readonly key: string | Buffer }
  /** Every string leaf becomes "***", except the command name's value (collection) and `$db`. */
  | { readonly mode: 'mask-strings' };

export const MASK = '***';

/**
 * Builds the redactor for one proxy. With mode `none` it is a no-op, so the hot path
 * pays nothing. A path such as `email` or `address.street` matches wherever a
 * document holding it appears (top level, in `documents`, in filters, in updates),
 * so one name covers the field in every command shape.
 */
export function makeRedactor(options: RedactionOptions): (doc: Document, isCommand: boolean) => void {
  if (options.mode === 'none') return noop;
  if (options.mode === 'mask-strings') return (doc, isCommand) => maskDocument(doc, isCommand);
  const paths = options.paths.map((p) => p.split('.'));
  const key = options.key;
  const hash = (value: unknown): string => {
    // Canonical Extended JSON: Int32(1) and Double(1) stay different values.
    const text = BSON.EJSON.stringify({ v: value } as Document, { relaxed: false });
    return `hmac:${createHmac('sha256', key).update(text).digest('hex').slice(0, 32)}`;
  };
  return (doc) => hashPaths(doc, paths, hash);
}

function noop(): void {}

function hashPaths(node: unknown, paths: readonly string[][], hash: (v: unknown) => string): void {
  if (Array.isArray(node)) {
    for (const item of node) hashPaths(item, paths, hash);
    return;
  }
  if (!isPlainDoc(node)) return;
  for (const path of paths) applyPath(node, path, 0, hash);
  for (const k of Object.keys(node)) hashPaths(node[k], paths, hash);
}

function applyPath(node: unknown, path: readonly string[], i: number, hash: (v: unknown) => string): void {
  if (Array.isArray(node)) {
    for (const item of node) applyPath(item, path, i, hash);
    return;
  }
  if (!isPlainDoc(node)) return;
  const k = path[i]!;
  if (!(k in node)) return;
  if (i === path.length - 1) {
    if (typeof node[k] !== 'string' || !node[k].startsWith('hmac:')) node[k] = hash(node[k]);
  } else applyPath(node[k], path, i + 1, hash);
}

function maskDocument(doc: Document, isCommand: boolean): void {
  const keys = Object.keys(doc);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    // Names the replay needs: the collection (value of the first key), database, getMore's collection, error names.
    if (isCommand && (i === 0 || k === '$db' || k === 'collection')) continue;
    if (!isCommand && (k === 'codeName' || k === 'ns')) continue;
    doc[k] = maskValue(doc[k]);
  }
}

function maskValue(v: unknown): unknown {
  if (typeof v === 'string') return MASK;
  if (Array.isArray(v)) return v.map(maskValue);
  if (isPlainDoc(v)) {
    for (const k of Object.keys(v)) v[k] = k === 'ns' || k === 'codeName' ? v[k] : maskValue(v[k]);
    return v;
  }
  return v;
}

function isPlainDoc(v: unknown): v is Document {
  if (v === null || typeof v !== 'object') return false;
  // BSON value classes (ObjectId, Long, …) carry _bsontype; they are leaves.
  return !('_bsontype' in v) && !Buffer.isBuffer(v);
}
