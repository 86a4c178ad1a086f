/**
 * Durations as users write them in flags and config: `30s`, `500ms`, `2m`, `1.5s`; a
 * bare number is seconds. The schema checks them with this parser and the stages
 * convert with it, so the two cannot disagree on what a duration is.
 */
const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 });

/** Longer than this is a typo (`30m` for `30s`), not a measurement window. */
const MAX_MS = 24 * 3_600_000;

/** Milliseconds, or undefined when the text is not a duration of at most a day. */
export function durationMs(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * UNIT_MS[(m[2] ?? 's').toLowerCase()]!);
  return Number.isFinite(ms) && ms <= MAX_MS ? ms : undefined;
}
