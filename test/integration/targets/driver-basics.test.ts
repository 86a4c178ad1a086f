import { MongoServerError, type CommandStartedEvent } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { useFreshDb } from '../../helpers/fresh-db.ts';

interface NumberedDoc {
  _id: number;
  [field: string]: unknown;
}

// The suite's server is real (FerretDB here, any MongoDB elsewhere): these are the
// operations every later stage records and replays, checked through the real driver.
describe('the suite server answers the platform\'s operations', () => {
  const started: CommandStartedEvent[] = [];
  const fx = useFreshDb({ monitorCommands: true });

  it('inserts and finds with a sort across several batches (getMore)', async () => {
    fx.client().on('commandStarted', (e) => started.push(e));
    const jobs = fx.db().collection<NumberedDoc>('jobs');
    await jobs.insertMany(Array.from({ length: 25 }, (_, i) => ({ _id: i, priority: i % 5, name: `job-${i}` })));
    started.length = 0;
    const docs = await jobs.find({}, { sort: { priority: -1, _id: 1 }, batchSize: 4 }).toArray();
    expect(docs).toHaveLength(25);
    expect(docs[0]).toMatchObject({ _id: 4, priority: 4 });
    expect(docs.map((d) => d.priority)).toEqual([...docs.map((d) => d.priority)].sort((a, b) => Number(b) - Number(a)));
    const getMores = started.filter((e) => e.commandName === 'getMore');
    expect(getMores.length).toBeGreaterThanOrEqual(5);
  });

  it('aggregates', async () => {
    const orders = fx.db().collection('orders');
    await orders.insertMany([
      { company: 'a', amount: 5 },
      { company: 'a', amount: 7 },
      { company: 'b', amount: 1 },
    ]);
    const out = await orders
      .aggregate([{ $match: { amount: { $gt: 0 } } }, { $group: { _id: '$company', total: { $sum: '$amount' } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(out).toEqual([
      { _id: 'a', total: 12 },
      { _id: 'b', total: 1 },
    ]);
  });

  it('claims a job with findAndModify sorted by priority', async () => {
    const jobs = fx.db().collection<NumberedDoc>('jobs');
    await jobs.insertMany([
      { _id: 1, status: 'pending', priority: 1 },
      { _id: 2, status: 'pending', priority: 9 },
      { _id: 3, status: 'done', priority: 10 },
    ]);
    const claimed = await jobs.findOneAndUpdate(
      { status: 'pending' },
      { $set: { status: 'running', worker: 'w1' } },
      { sort: { priority: -1 }, returnDocument: 'after' },
    );
    expect(claimed).toMatchObject({ _id: 2, status: 'running', worker: 'w1' });
    expect(await jobs.countDocuments({ status: 'pending' })).toBe(1);
  });

  it('upserts with updateMany', async () => {
    const locks = fx.db().collection('locks');
    const first = await locks.updateMany({ name: 'nightly' }, { $set: { holder: 'a' } }, { upsert: true });
    expect(first.upsertedCount).toBe(1);
    const second = await locks.updateMany({ name: 'nightly' }, { $set: { holder: 'b' } }, { upsert: true });
    expect(second).toMatchObject({ matchedCount: 1, modifiedCount: 1, upsertedCount: 0 });
  });

  it('builds a unique index and reports a duplicate key with code 11000', async () => {
    const users = fx.db().collection('users');
    const names = await users.createIndexes([{ key: { email: 1 }, name: 'email_1', unique: true }]);
    expect(names).toEqual(['email_1']);
    await users.insertOne({ email: 'a@example.com' });
    const err = await users.insertOne({ email: 'a@example.com' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).code).toBe(11000);
  });
});
