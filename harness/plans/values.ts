/** Small readers of explain values, shared by the format readers. None throws. */
export type Doc = Record<string, unknown>;

export function isDoc(v: unknown): v is Doc {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !('_bsontype' in v);
}

/** A number whatever BSON type carried it (Int32, Long, Double, or promoted to a JS number). */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (v !== null && typeof v === 'object' && '_bsontype' in v) {
    const t = (v as { _bsontype?: unknown })._bsontype;
    if (t === 'Int32' || t === 'Double' || t === 'Long' || t === 'Decimal128') {
      const n = Number(String((v as { valueOf(): unknown }).valueOf()));
      return Number.isFinite(n) ? n : undefined;
    }
  }
  return undefined;
}

/**
 * A key or sort pattern as `{ a: 1, b: -1 }`: 8.0's express stages write it as that
 * string, every other stage as a document; both come out the same.
 */
export function keyPatternText(v: unknown): string | undefined {
  if (typeof v === 'string') {
    const inner = v.trim().replace(/^\{/, '').replace(/\}$/, '').trim();
    return inner ? `{ ${inner.split(',').map((p) => p.trim().replace(/\s*:\s*/, ': ')).join(', ')} }` : '{}';
  }
  if (!isDoc(v)) return undefined;
  const parts = Object.entries(v).map(([k, x]) => `${k}: ${scalarText(x)}`);
  return parts.length ? `{ ${parts.join(', ')} }` : '{}';
}

function scalarText(x: unknown): string {
  const n = asNumber(x);
  if (n !== undefined) return String(n);
  if (typeof x === 'string') return JSON.stringify(x);
  const bound = minMaxKey(x);
  if (bound) return bound;
  if (isDoc(x)) return keyPatternText(x) ?? '{}';
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

/**
 * MinKey and MaxKey, as index bounds hold them (COUNT_SCAN's start and end keys): the
 * driver's MinKey/MaxKey values, or their Extended JSON form when a reply was kept as text.
 */
function minMaxKey(x: unknown): 'MinKey' | 'MaxKey' | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  const t = (x as { _bsontype?: unknown })._bsontype;
  if (t === 'MinKey' || t === 'MaxKey') return t;
  const keys = Object.keys(x);
  if (keys.length === 1 && keys[0] === '$minKey') return 'MinKey';
  if (keys.length === 1 && keys[0] === '$maxKey') return 'MaxKey';
  return undefined;
}
