import { access } from 'node:fs/promises';
import { lintCaptures } from '../lint/lint.ts';
import type { AppLint, Finding } from '../lint/result.ts';
import { VERSION_PATH, type PathVersion, type ReplayExpectation } from '../lint/types.ts';
import type { LintJudgement, ReportLint, ReportLintFinding } from './lint-types.ts';
import type { MatrixCell, ReportDocument } from './schema.ts';
import { escXml } from './escape.ts';

/**
 * Lint findings beside the replay: for every shape the run replayed that a lint rule
 * hits, what the rule expected and what each candidate did with that shape, so the
 * report says whether the replay confirmed or contradicted the finding.
 *
 * Per candidate and shape:
 *   before-change  the candidate's version predates the rule's release: nothing to see
 *   confirmed      the shape's most severe class (or latency judgement) is what the rule expects
 *   other          the shape differs, but not as the rule expects
 *   contradicted   the rule applies to this version and the shape behaved the same
 *   not-judged     the rule's symptom is not something compare judges (logs, server replies, …)
 */
/** Symptoms compare does not judge per shape. */
const NOT_JUDGED: ReadonlySet<ReplayExpectation> = new Set(['log-only', 'server-differences', 'not-replayed', 'identical', 'equivalent', 'unavailable']);

/**
 * Lints the run's captures (run.json `inputs`) from the baseline's version up to 8.0 and
 * keeps the findings on replayed shapes. Never fails the report: captures no longer
 * where the run read them give no lint at all, a capture that cannot be read a `note`.
 */
export async function lintForReport(doc: ReportDocument): Promise<ReportLint | undefined> {
  const inputs = doc.run.inputs;
  // Captures moved or deleted since the replay: the report is complete without lint.
  if (inputs.length === 0 || !(await Promise.all(inputs.map((f) => access(f).then(() => true, () => false)))).every(Boolean)) return undefined;
  const baseline = doc.targets.find((t) => t.name === doc.baseline);
  const from = pathFloor(baseline?.serverVersion) ?? '4.2';
  const to: PathVersion = '8.0';
  if (from === to) return { from, to, apps: [], note: 'the baseline is on the last version of the path: no step to lint' };
  try {
    const result = await lintCaptures(inputs, { from, to });
    return { from, to, apps: onReplayedShapes(result.apps, doc) };
  } catch (err) {
    return { from, to, apps: [], note: `lint of the run's captures failed: ${(err as Error).message}` };
  }
}

/** Pure: the findings of `apps` on shapes the report has, each judged per candidate. */
export function onReplayedShapes(apps: readonly AppLint[], doc: ReportDocument): ReportLint['apps'] {
  const versions = new Map(doc.targets.map((t) => [t.name, t.serverVersion]));
  const out: { app: string; findings: ReportLintFinding[] }[] = [];
  for (const app of apps) {
    const section = doc.apps.find((a) => a.app === app.app);
    const matrix = doc.matrix.find((m) => m.app === app.app);
    const replayed = new Set([...Object.keys(section?.shapes ?? {}), ...(matrix?.shapes.map((s) => s.shape) ?? [])]);
    const findings: ReportLintFinding[] = [];
    for (const f of app.steps.flatMap((s) => s.findings)) {
      const shapes = f.shapes.filter((s) => replayed.has(s.id));
      if (shapes.length === 0) continue;
      findings.push({
        rule: f.rule,
        step: f.step,
        since: f.since,
        severity: f.severity,
        expect: f.expect,
        after: f.after,
        symptom: f.symptom.text,
        shapes: shapes.map((s) => {
          const row = matrix?.shapes.find((m) => m.shape === s.id);
          return {
            shape: s.id,
            shapeText: s.text,
            ops: s.ops,
            candidates: doc.candidates.map((candidate) => {
              const cell = row?.cells.find((c) => c.candidate === candidate);
              return { candidate, behaviour: cell?.behaviour ?? 'same', judgement: judge(f, cell, versions.get(candidate)) };
            }),
          };
        }),
      });
    }
    if (findings.length > 0) out.push({ app: app.app, findings });
  }
  return out;
}

export function judge(f: Pick<Finding, 'since' | 'expect'>, cell: Pick<MatrixCell, 'behaviour' | 'latency'> | undefined, version: string | undefined): LintJudgement {
  if (version !== undefined && compareVersions(version, f.since) < 0) return 'before-change';
  if (NOT_JUDGED.has(f.expect)) return 'not-judged';
  const behaviour = cell?.behaviour ?? 'same';
  if (f.expect === 'latency') return cell?.latency === 'regression' ? 'confirmed' : cell?.latency === 'same' || cell === undefined ? 'contradicted' : 'other';
  if (behaviour === f.expect) return 'confirmed';
  return behaviour === 'same' ? 'contradicted' : 'other';
}

/** The newest version of the path at or below `version` (`4.2.24` → 4.2, `7.3.1` → 7.0); undefined when unknown or older. */
export function pathFloor(version: string | undefined): PathVersion | undefined {
  if (!version) return undefined;
  let found: PathVersion | undefined;
  for (const v of VERSION_PATH) if (compareVersions(version, v) >= 0) found = v;
  return found;
}

/** Numeric comparison of dotted versions (`6.0.5` > `5.1`); text after the numbers is ignored. */
export function compareVersions(a: string, b: string): number {
  const pa = (/^\d+(?:\.\d+)*/.exec(a)?.[0] ?? '0').split('.').map(Number);
  const pb = (/^\d+(?:\.\d+)*/.exec(b)?.[0] ?? '0').split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The lint section in Markdown, for the report's renderer. Pure. */
export function renderLintSection(lint: ReportLint | undefined): string {
  if (!lint) return '';
  const out = [`## Lint findings on replayed shapes (${lint.from} → ${lint.to})`, ''];
  if (lint.note) out.push(lint.note, '');
  else if (lint.apps.length === 0) out.push('No lint rule hit a replayed shape.', '');
  for (const app of lint.apps) {
    out.push(`### ${app.app}`, '', '| rule | severity | since | expected | shape | per candidate |', '|---|---|---|---|---|---|');
    for (const f of app.findings)
      for (const s of f.shapes) {
        const per = s.candidates.map((c) => `${c.candidate}: ${c.judgement}${c.behaviour !== 'same' ? ` (${c.behaviour})` : ''}`).join('; ');
        out.push(`| \`${f.rule}\` | ${f.severity} | ${f.since} | ${f.expect} | \`${s.shapeText.replace(/[|`]/g, ' ').slice(0, 120)}\` | ${per} |`);
      }
    out.push('');
  }
  return out.join('\n');
}

/** The lint section in HTML: one table per app, the same rows as in Markdown. Pure. */
export function renderLintSectionHtml(lint: ReportLint | undefined): string {
  if (!lint) return '';
  const h = [`<h2 id="lint">Lint findings on replayed shapes (${escXml(lint.from)} → ${escXml(lint.to)})</h2>`];
  if (lint.note) h.push(`<p>${escXml(lint.note)}</p>`);
  else if (lint.apps.length === 0) h.push('<p>No lint rule hit a replayed shape.</p>');
  for (const app of lint.apps) {
    h.push(`<h3>${escXml(app.app)}</h3><table class="lint"><thead><tr><th>rule</th><th>severity</th><th>since</th><th>expected</th><th>shape</th><th>per candidate</th></tr></thead><tbody>`);
    for (const f of app.findings)
      for (const s of f.shapes) {
        const per = s.candidates.map((c) => `${c.candidate}: ${c.judgement}${c.behaviour !== 'same' ? ` (${c.behaviour})` : ''}`).join('; ');
        h.push(`<tr><td title="${escXml(f.after)}"><code>${escXml(f.rule)}</code></td><td>${escXml(f.severity)}</td><td>${escXml(f.since)}</td><td>${escXml(f.expect)}</td><td><code>${escXml(s.shapeText.slice(0, 160))}</code></td><td>${escXml(per)}</td></tr>`);
      }
    h.push('</tbody></table>');
  }
  return h.join('');
}

/** The report document with its lint findings (`lint`), when the run's captures can still be read. */
export async function withLintFindings(doc: ReportDocument): Promise<ReportDocument> {
  const lint = await lintForReport(doc);
  if (!lint) return doc;
  return { ...doc, lint };
}
