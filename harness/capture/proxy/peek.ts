import { OP_CODES } from '../../wire/index.ts';

/**
 * The command name of a request without decoding its BSON: the first key of an
 * OP_MSG body, or of an OP_QUERY query (inside `$query`/`query` when wrapped).
 * Undefined for anything else or anything malformed (the decoder reports those).
 */
export function peekCommandName(m: Buffer): string | undefined {
  if (m.length < 21) return undefined;
  const op = m.readInt32LE(12);
  if (op === OP_CODES.OP_MSG) {
    let pos = 20;
    while (pos < m.length) {
      const kind = m[pos]!;
      if (kind === 0) return firstKey(m, pos + 1)?.key;
      if (kind !== 1 || pos + 5 > m.length) return undefined;
      const size = m.readInt32LE(pos + 1);
      if (size < 5) return undefined;
      pos += 1 + size;
    }
    return undefined;
  }
  if (op === OP_CODES.OP_QUERY) {
    const nul = m.indexOf(0, 20);
    if (nul < 0) return undefined;
    const first = firstKey(m, nul + 1 + 8);
    if (!first) return undefined;
    if ((first.key === '$query' || first.key === 'query') && first.type === 0x03) return firstKey(m, first.valueAt)?.key;
    return first.key;
  }
  return undefined;
}

/** First element of the BSON document at `at`: its type, key and where its value starts. */
function firstKey(m: Buffer, at: number): { type: number; key: string; valueAt: number } | undefined {
  if (at + 5 > m.length) return undefined;
  const type = m[at + 4]!;
  if (type === 0) return undefined;
  const end = m.indexOf(0, at + 5);
  if (end < 0) return undefined;
  return { type, key: m.toString('latin1', at + 5, end), valueAt: end + 1 };
}
