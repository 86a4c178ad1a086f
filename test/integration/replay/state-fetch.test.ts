import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { compareDatabases } from '../../../harness/compare/state-fetch.ts';
import { uniqueDbName, useFreshDb } from '../../helpers/fresh-db.ts';

describe('compareDatabases on a real server', () => {
  const { client, db } = useFreshDb({ promoteValues: false });

  it('finds nothing when both databases store the same documents', async () => {
    const other = client().db(uniqueDbName());
    try {
      const docs = (): BSON.Document[] => [{ _id: 1, a: 'x' }, { _id: 2, a: 'y' }];
      await db().collection<BSON.Document>('c').insertMany(docs());
      await other.collection<BSON.Document>('c').insertMany(docs());
      expect(await compareDatabases('cand', db(), other)).toEqual([]);
    } finally {
      await other.dropDatabase();
    }
  });

  it('finds a document stored with another numeric type, a missing one and an extra one, with samples', async () => {
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
      const diffs = await compareDatabases('cand', db(), other);
      expect(diffs).toHaveLength(1);
      const d = diffs[0]!;
      expect(d).toMatchObject({ candidate: 'cand', ns: `${db().databaseName}.jobs`, method: 'documents', changed: ['{"$numberInt":"2"}'], missing: ['{"$numberInt":"3"}'], extra: ['{"$numberInt":"4"}'] });
      expect(d.samples?.[0]?.baseline).toContain('"$numberInt":"6"');
      expect(d.samples?.[0]?.candidate).toContain('"$numberDouble":"6.0"');
    } finally {
      await other.dropDatabase();
    }
  });
});
