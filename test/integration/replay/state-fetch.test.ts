import { BSON, type Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { fetchState, type StateSide } from '../../../harness/replay/state-fetch.ts';
import { uniqueDbName, useFreshDb } from '../../helpers/fresh-db.ts';

/** Two databases of one real server stand for two targets (the baseline's name maps to each). */
function side(name: string, db: () => Db): StateSide {
  return { name, db: () => db() };
}

describe('fetchState on a real server', () => {
  const { client, db } = useFreshDb({ promoteValues: false });

  it('finds nothing when both sides store the same documents and indexes', async () => {
    const other = client().db(uniqueDbName());
    try {
      for (const d of [db(), other]) {
        await d.collection<BSON.Document>('c').insertMany(<BSON.Document[]>[{ _id: 1, a: 'x' }, { _id: 2, a: 'y' }]);
        await d.collection('c').createIndex({ a: 1 });
      }
      const state = await fetchState(side('base', db), [side('cand', () => other)], new Map([[db().databaseName, new Set(['c'])]]));
      expect(state.differences).toEqual([]);
      expect(state.targets.base?.[0]).toMatchObject({ ns: `${db().databaseName}.c`, count: 2 });
      expect(state.targets.base?.[0]?.hash).toBe(state.targets.cand?.[0]?.hash);
    } finally {
      await other.dropDatabase();
    }
  });

  it('finds a document stored with another numeric type, a missing one, an extra one and an index only one side has', async () => {
    const other = client().db(uniqueDbName());
    try {
      await db().collection<BSON.Document>('jobs').insertMany(<BSON.Document[]>[
        { _id: 1, n: new BSON.Int32(5) },
        { _id: 2, n: new BSON.Int32(6) },
        { _id: 3, n: new BSON.Int32(7) },
      ]);
      // Replies alike ({n: 1}) but stores a double: only the state comparison sees it.
      await other.collection<BSON.Document>('jobs').insertMany(<BSON.Document[]>[
        { _id: 1, n: new BSON.Int32(5) },
        { _id: 2, n: new BSON.Double(6) },
        { _id: 4, n: new BSON.Int32(8) },
      ]);
      await other.collection('jobs').createIndex({ n: 1 });
      const state = await fetchState(side('base', db), [side('cand', () => other)], new Map([[db().databaseName, new Set(['jobs', 'never-written'])]]));
      expect(state.differences).toHaveLength(1);
      const d = state.differences[0]!;
      expect(d).toMatchObject({
        candidate: 'cand',
        ns: `${db().databaseName}.jobs`,
        method: 'documents',
        changed: ['{"$numberInt":"2"}'],
        missing: ['{"$numberInt":"3"}'],
        extra: ['{"$numberInt":"4"}'],
        baselineCount: 3,
        candidateCount: 3,
      });
      expect(d.indexes?.extra).toEqual(['{"key":{"n":1}}']);
      expect(d.samples?.[0]?.baseline).toContain('"$numberInt":"6"');
      expect(d.samples?.[0]?.candidate).toContain('"$numberDouble":"6.0"');
      // A collection no side has is no difference.
      expect(state.targets.base?.find((c) => c.ns.endsWith('.never-written'))).toMatchObject({ count: 0 });
    } finally {
      await other.dropDatabase();
    }
  });
});
