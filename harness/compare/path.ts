/**
 * The path notation of diffs: `reply.cursor.firstBatch[0].name`, `docs[3]["a.b"]`.
 * Generalised paths replace indices by `[]` so that one path names a field in every
 * document of a result (noise, config ignores, group paths).
 */
const IDENT = /^[A-Za-z_$][\w$]*$/;

export function childPath(parent: string, key: string): string {
  return IDENT.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function generalise(path: string): string {
  return path.replace(/\[\d+\]/g, '[]');
}

/** True when `path` is `pattern` or lies under it (pattern in generalised notation). */
export function matchesPattern(path: string, pattern: string): boolean {
  const g = generalise(path);
  return g === pattern || g.startsWith(`${pattern}.`) || g.startsWith(`${pattern}[`);
}
