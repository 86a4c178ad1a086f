import { shapeLabel } from '../compare/shape-label.ts';
import { xmlAttr, xmlText } from './escape.ts';
import type { ReportDocument } from './schema.ts';

/**
 * JUnit XML in the common shape CI systems read (Jenkins, GitLab, GitHub test
 * reporters): <testsuites> → one <testsuite> per app × candidate → one <testcase>
 * per shape, named by its label (command, collection, short filter, id; the command and
 * id alone when the shape text is unknown), classname `app.candidate`. A shape
 * fails (<failure>) when a verdict reason at level `fail` cites it; a `warn` is
 * recorded in <system-out> so the case still passes. Shapes with nothing to say
 * (identical everywhere) still get a passing case, so the count of cases is stable.
 */
export function renderJunit(doc: ReportDocument): string {
  const x: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  let tests = 0;
  let failures = 0;
  const suites: string[] = [];
  for (const s of doc.summary) {
    const app = doc.apps.find((a) => a.app === s.app);
    const shapes = new Map<string, string>();
    for (const [id, text] of Object.entries(app?.shapes ?? {})) shapes.set(id, text);
    for (const r of s.reasons) if (r.evidence.kind !== 'state' && !shapes.has(r.evidence.shape)) shapes.set(r.evidence.shape, '');
    const cases: string[] = [];
    let suiteFailures = 0;
    for (const [shape, text] of [...shapes.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      const reasons = s.reasons.filter((r) => r.evidence.kind !== 'state' && r.evidence.shape === shape);
      const cmd = app?.groups.find((g) => g.shape === shape)?.cmd ?? app?.distributions.find((d) => d.shape === shape)?.cmd ?? '';
      const name = text ? shapeLabel(shape, text) : `${cmd ? `${cmd} ` : ''}${shape === '*' ? 'whole app' : shape}`;
      const fails = reasons.filter((r) => r.level === 'fail');
      const warns = reasons.filter((r) => r.level === 'warn');
      let body = '';
      if (fails.length) {
        suiteFailures++;
        body += `<failure message="${xmlAttr(fails[0]!.message)}" type="${xmlAttr(fails[0]!.evidence.kind === 'group' ? fails[0]!.evidence.class : fails[0]!.evidence.kind)}">${xmlText(fails.map((r) => `${r.message}\n  evidence: ${JSON.stringify(r.evidence)}`).join('\n'))}</failure>`;
      }
      const out = [`shape: ${text}`, ...warns.map((r) => `WARN: ${r.message}`)].join('\n');
      body += `<system-out>${xmlText(out)}</system-out>`;
      cases.push(`    <testcase name="${xmlAttr(name)}" classname="${xmlAttr(`${s.app}.${s.candidate}`)}" time="0">${body}</testcase>`);
    }
    // State differences are per database: one case per app × candidate carries them.
    const stateReasons = s.reasons.filter((r) => r.evidence.kind === 'state');
    if (stateReasons.length) {
      const fails = stateReasons.filter((r) => r.level === 'fail');
      if (fails.length) suiteFailures++;
      cases.push(`    <testcase name="state after writes" classname="${xmlAttr(`${s.app}.${s.candidate}`)}" time="0">${fails.length ? `<failure message="${xmlAttr(fails[0]!.message)}" type="state-differs">${xmlText(fails.map((r) => r.message).join('\n'))}</failure>` : ''}</testcase>`);
    }
    tests += cases.length;
    failures += suiteFailures;
    suites.push(
      `  <testsuite name="${xmlAttr(`${s.app} on ${s.candidate} (${s.version})`)}" tests="${cases.length}" failures="${suiteFailures}" errors="0" skipped="0" time="0" timestamp="${xmlAttr(doc.run.startedAt.replace(/Z$/, ''))}">`,
      `    <properties><property name="verdict" value="${s.verdict}"/><property name="baseline" value="${xmlAttr(doc.baseline)}"/><property name="replayed" value="${s.replayed}"/></properties>`,
      ...cases,
      '  </testsuite>',
    );
  }
  x.push(`<testsuites name="mongo-compat" tests="${tests}" failures="${failures}" errors="0" time="0">`, ...suites, '</testsuites>');
  return `${x.join('\n')}\n`;
}
