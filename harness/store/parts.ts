/**
 * Names of rotated parts: `cap.jsonl.gz`, then `cap.p0002.jsonl.gz`, `cap.p0003.jsonl.gz`…
 * The base name sorts first and parts sort in order under a plain lexicographic sort
 * (shell globs): `j` < `p`, and the number is zero-padded.
 */
export function partPath(base: string, index: number): string {
  if (index === 0) return base;
  const n = String(index + 1).padStart(4, '0');
  const m = /^(.*?)((?:\.jsonl)?(?:\.gz)?)$/.exec(base)!;
  return `${m[1]}.p${n}${m[2]}`;
}
