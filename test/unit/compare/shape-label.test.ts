import { describe, expect, it } from 'vitest';
import { BSON } from 'mongodb';
import { shapeLabel } from '../../../harness/compare/shape-label.ts';
import { shapeOf } from '../../../harness/model/shape.ts';

const label = (command: BSON.Document): string => {
  const s = shapeOf(command);
  return shapeLabel(s.id, s.text);
};

describe('shapeLabel', () => {
  it('names a shape by command, collection and a short text of its filter, then the id', () => {
    const s = shapeOf({ find: 'companies', filter: { _id: 7 }, projection: { name: 1 } });
    expect(shapeLabel(s.id, s.text)).toBe(`find companies {_id: int} (${s.id})`);
    expect(label({ findAndModify: 'jobs', query: { status: 'pending', kind: 'optimize' }, sort: { priority: -1 }, update: { $set: { status: 'running' } } })).toMatch(/^findAndModify jobs \{status: string, kind: string\} \([0-9a-f]{12}\)$/);
    expect(label({ update: 'forecasts', updates: [{ q: { company: 3, week: 2 }, u: { $set: { v: 1 } }, upsert: true }] })).toMatch(/^update forecasts \{company: int, week: int\} /);
    expect(label({ count: 'items', query: { cat: { $gt: 2 } } })).toMatch(/^count items \{cat: \{\$gt: int\}\} /);
    expect(label({ distinct: 'items', key: 'cat', query: { a: 'x' } })).toMatch(/^distinct items cat \{a: string\} /);
  });

  it('shows a pipeline as its stages, with the first $match', () => {
    expect(label({ aggregate: 'orders', pipeline: [{ $match: { company: 3 } }, { $group: { _id: '$status', n: { $sum: 1 } } }, { $sort: { _id: 1 } }] })).toMatch(/^aggregate orders \[\$match \{company: int\}, \$group, \$sort\] /);
  });

  it('leaves out a command argument that is not a collection, and cuts long filters', () => {
    expect(label({ buildInfo: 1 })).toMatch(/^buildInfo \([0-9a-f]{12}\)$/);
    const long = label({ find: 'c', filter: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`field${i}`, i])) });
    expect(long).toContain('…');
    expect(long.length).toBeLessThan(100);
  });

  it('falls back to the id when the text is missing or not a shape, and names the app row', () => {
    expect(shapeLabel('0123456789ab', undefined)).toBe('0123456789ab');
    expect(shapeLabel('0123456789ab', 'not json')).toBe('0123456789ab');
    expect(shapeLabel('0123456789ab', '[1,2]')).toBe('0123456789ab');
    expect(shapeLabel('*', undefined)).toBe('whole app');
  });
});
