import { describe, expect, it } from 'vitest';
import { Linter } from '../../../harness/lint/engine.ts';
import { RULES } from '../../../harness/lint/rules/index.ts';
import { VERSION_PATH, type Rule } from '../../../harness/lint/types.ts';
import type { OperationRecord } from '../../../harness/model/record.ts';
import { loadCases } from './fixtures.ts';

/** Runs one rule over the operations through the engine (so rules over several operations are judged too). */
function findingsOf(rule: Rule, records: readonly OperationRecord[]): number {
  const linter = new Linter({ from: '4.2', to: '8.0', rules: [rule] });
  for (const r of records) linter.add(r);
  return linter.result().flatMap((a) => a.steps.flatMap((s) => s.findings)).filter((f) => f.rule === rule.id).length;
}

const cases = loadCases();

describe('lint rule table', () => {
  it('has exactly one case for every rule, and a rule for every case', () => {
    expect(cases.map((c) => c.rule).sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  it('knows each rule once, with every field filled and its step on the path', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const r of RULES) {
      expect(r.id).toMatch(/^[a-z0-9.-]+$/);
      expect(VERSION_PATH.slice(1)).toContain(r.step);
      for (const text of [r.concerns, r.before, r.after, r.symptom.text, r.source, r.look]) expect(text.length, r.id).toBeGreaterThan(5);
      expect(r.tokens?.global ?? false, `${r.id}: a global regex keeps state between lines`).toBe(false);
    }
  });

  it('covers at least 40 of the research notes\' 67 changes with rules', () => {
    const rows = new Set(RULES.flatMap((r) => r.rows));
    expect(rows.size).toBeGreaterThanOrEqual(40);
    for (const row of rows) {
      expect(row).toBeGreaterThanOrEqual(1);
      expect(row).toBeLessThanOrEqual(67);
    }
  });

  for (const c of cases) {
    const rule = RULES.find((r) => r.id === c.rule);
    describe(`${c.file}: ${c.rule}`, () => {
      it('hits the operations that must hit it', () => {
        expect(rule, `no rule ${c.rule}`).toBeDefined();
        expect(findingsOf(rule!, c.hit)).toBe(1);
      });
      it('leaves the close operations alone', () => {
        expect(findingsOf(rule!, c.miss)).toBe(0);
      });
    });
  }
});
