import type { ContentionResult } from './result.ts';

/**
 * The sweep's console text (progress lines and the closing knee sentences). The
 * Markdown and HTML renderers in report/contention/ reuse these, so the console and
 * the files say the same thing.
 */
export function fmtNum(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function fmtUs(us: number): string {
  if (us >= 1_000_000) return `${fmtNum(us / 1_000_000, 2)} s`;
  if (us >= 1000) return `${fmtNum(us / 1000, 1)} ms`;
  return `${fmtNum(us)} µs`;
}

/** One sentence per target naming the knee of its throughput curve. */
export function kneeSentence(result: ContentionResult, target: string): string {
  const s = result.summary.find((x) => x.target === target);
  if (!s?.knee) return `${target}: no steps measured.`;
  if (result.settings.workers.length < 2) return `${target}: one worker count only (${s.knee.workers}), no curve to find a knee on.`;
  if (s.knee.stillRising) return `${target}: no knee — throughput still rising at ${s.knee.workers} workers (${fmtNum(s.knee.opsPerSec)} ops/s).`;
  return `${target}: knee at ${s.knee.workers} workers (${fmtNum(s.knee.opsPerSec)} ops/s); more workers do not raise throughput.`;
}
