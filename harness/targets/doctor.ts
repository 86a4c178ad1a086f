import { oneLine } from '../errors.ts';
import { probeAll, startTarget } from './index.ts';
import { parseTargetSpec } from './spec.ts';
import { redactUri } from './redact.ts';
import type { Availability } from './types.ts';

export interface TargetCheck {
  readonly target: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DoctorReport {
  readonly node: string;
  readonly kinds: readonly (Availability & { readonly ms: number })[];
  readonly targets: readonly TargetCheck[];
}

/** Probes every kind (concurrently, each bounded) and checks the named targets. */
export async function runDoctor(targets: readonly string[] = []): Promise<DoctorReport> {
  const started = Date.now();
  const kinds = (await probeAll()).map((k) => ({ ...k, ms: Date.now() - started }));
  const checks: TargetCheck[] = [];
  for (const text of targets) {
    let label = redactUri(text);
    try {
      const spec = parseTargetSpec(text);
      label = `${spec.name}=${spec.kind === 'uri' ? redactUri(spec.uri!) : `${spec.kind}${spec.version ? `:${spec.version}` : ''}`}`;
      const running = await startTarget(spec, { readyTimeoutMs: 5_000 });
      checks.push({ target: label, ok: true, detail: `answers: ${running.product}` });
      await running.stop();
    } catch (err) {
      checks.push({ target: label, ok: false, detail: oneLine(err) });
    }
  }
  return { node: process.version, kinds, targets: checks };
}

export function formatDoctor(report: DoctorReport): string {
  const lines = [`node ${report.node}`];
  const width = Math.max(...report.kinds.map((k) => k.kind.length));
  for (const k of report.kinds) {
    const state = k.usable ? 'usable     ' : 'unavailable';
    const versions = k.usable && k.versions.length > 0 ? `  [versions: ${k.versions.join(', ')}]` : '';
    lines.push(`${k.kind.padEnd(width)}  ${state}  ${k.detail}${versions}`);
  }
  for (const t of report.targets) lines.push(`target ${t.target}: ${t.ok ? 'ok' : 'FAILED'}  ${t.detail}`);
  return `${lines.join('\n')}\n`;
}
