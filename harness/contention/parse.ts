import { UsageError } from '../errors.ts';

/**
 * Parsers for the bench flags. Pure: each returns a value or throws a UsageError
 * naming the flag, never anything else.
 */
const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 });

/** `30s`, `500ms`, `2m`, `1.5s`; a bare number is seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(String(text));
  if (!m) throw new UsageError(`${flag}: "${String(text).slice(0, 40)}" is not a duration (e.g. 30s, 500ms, 2m)`);
  const ms = Math.round(Number(m[1]) * UNIT_MS[(m[2] ?? 's').toLowerCase()]!);
  if (!Number.isFinite(ms) || ms > 24 * 3_600_000) throw new UsageError(`${flag}: ${text} is longer than a day`);
  return ms;
}

/** `1,2,4,8`: positive integers up to 4096, returned sorted and unique. */
export function parseWorkerList(text: string, flag = '--workers'): number[] {
  const parts = String(text).split(',').map((p) => p.trim());
  const values = parts.map((p) => {
    if (!/^\d{1,5}$/.test(p)) throw new UsageError(`${flag}: "${p.slice(0, 20)}" is not a positive integer`);
    const n = Number(p);
    if (n < 1 || n > 4096) throw new UsageError(`${flag}: ${n} is outside 1..4096`);
    return n;
  });
  return [...new Set(values)].sort((a, b) => a - b);
}

export function parsePositiveInt(text: string, flag: string, max = 1_000_000): number {
  const s = String(text).trim();
  if (!/^\d{1,10}$/.test(s) || Number(s) < 1 || Number(s) > max) throw new UsageError(`${flag}: "${s.slice(0, 20)}" is not an integer in 1..${max}`);
  return Number(s);
}

export function parseSeed(text: string): number {
  const s = String(text).trim();
  if (!/^\d{1,10}$/.test(s) || Number(s) > 0xffffffff) throw new UsageError(`--seed: "${s.slice(0, 20)}" is not an integer in 0..4294967295`);
  return Number(s);
}
