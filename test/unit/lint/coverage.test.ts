import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../../harness/lint/rules/index.ts';

/** harness/lint/rules/README.md: one row per change of the research notes, kept true to the rules. */
const text = readFileSync(new URL('../../../harness/lint/rules/README.md', import.meta.url), 'utf8');
const rows = text
  .split('\n')
  .filter((l) => /^\| \d+ \|/.test(l))
  .map((l) => {
    const cells = l.slice(1, -1).split('|').map((c) => c.trim());
    return { row: Number(cells[0]), status: cells[2]!, ids: [...cells[3]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!), why: cells[4]! };
  });

describe('coverage table of the lint knowledge base', () => {
  it('has one row for each of the 67 changes, each with a status and a reason', () => {
    expect(rows.map((r) => r.row)).toEqual(Array.from({ length: 67 }, (_, i) => i + 1));
    for (const r of rows) {
      expect(['rule', 'replay-check', 'out-of-scope'], `row ${r.row}`).toContain(r.status);
      expect(r.why.length, `row ${r.row}`).toBeGreaterThan(10);
    }
  });

  it('names, for every rule row, rules that exist and claim that row; other rows name none', () => {
    for (const r of rows) {
      if (r.status !== 'rule') {
        expect(r.ids, `row ${r.row}`).toEqual([]);
        continue;
      }
      expect(r.ids.length, `row ${r.row}`).toBeGreaterThan(0);
      for (const id of r.ids) expect(RULES.find((x) => x.id === id)?.rows, `row ${r.row}: ${id}`).toContain(r.row);
    }
    const claimed = new Set(RULES.flatMap((x) => x.rows));
    expect(new Set(rows.filter((r) => r.status === 'rule').map((r) => r.row))).toEqual(claimed);
    expect(claimed.size).toBeGreaterThanOrEqual(40);
  });
});
