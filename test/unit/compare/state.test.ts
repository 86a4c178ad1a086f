import { describe, expect, it } from 'vitest';
import { compareState } from '../../../harness/compare/state.ts';

const docs = (entries: [string, string][]) => new Map(entries);

describe('compareState', () => {
  it('trusts equal dbHashes and reports a dbHash difference without documents', () => {
    expect(compareState('c', [{ ns: 'd.x', dbHash: 'aa' }], [{ ns: 'd.x', dbHash: 'aa' }])).toEqual([]);
    expect(compareState('c', [{ ns: 'd.x', dbHash: 'aa', count: 2 }], [{ ns: 'd.x', dbHash: 'bb', count: 2 }])).toEqual([
      { candidate: 'c', ns: 'd.x', method: 'dbHash', baselineCount: 2, candidateCount: 2, missing: [], extra: [], changed: [] },
    ]);
  });

  it('finds changed, missing and extra documents by _id', () => {
    const b = [{ ns: 'd.x', docs: docs([['1', 'h1'], ['2', 'h2'], ['3', 'h3']]) }];
    const c = [{ ns: 'd.x', docs: docs([['1', 'h1'], ['2', 'H2'], ['4', 'h4']]) }];
    expect(compareState('c', b, c)).toEqual([{ candidate: 'c', ns: 'd.x', method: 'documents', baselineCount: 3, candidateCount: 3, missing: ['3'], extra: ['4'], changed: ['2'] }]);
  });

  it('reports collections present on one side only, and caps samples', () => {
    const many = docs(Array.from({ length: 50 }, (_, i) => [String(i), 'h'] as [string, string]));
    const r = compareState('c', [{ ns: 'd.gone', docs: many }], [{ ns: 'd.new', docs: docs([['1', 'h']]) }], 5);
    expect(r.map((d) => [d.ns, d.missing.length, d.extra.length])).toEqual([
      ['d.gone', 5, 0],
      ['d.new', 0, 1],
    ]);
  });
});
