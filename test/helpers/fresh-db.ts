import { randomBytes } from 'node:crypto';
import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';
import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';

/** The connection string of the suite's shared server (see test/setup). */
export function testUri(): string {
  return inject('mongoUri');
}

export function uniqueDbName(prefix = 't'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/**
 * Gives each test its own database on the shared server, dropped afterwards, so no
 * test sees another's state. Call at the top of a describe block.
 */
export function useFreshDb(options: MongoClientOptions = {}): { client: () => MongoClient; db: () => Db } {
  let client: MongoClient | undefined;
  let db: Db | undefined;
  beforeAll(async () => {
    client = new MongoClient(testUri(), { serverSelectionTimeoutMS: 10_000, ...options });
    await client.connect();
  });
  beforeEach(() => {
    db = client!.db(uniqueDbName());
  });
  afterEach(async () => {
    await db?.dropDatabase().catch(() => undefined);
    db = undefined;
  });
  afterAll(async () => {
    await client?.close();
  });
  return {
    client: () => client!,
    db: () => {
      if (!db) throw new Error('useFreshDb: no database outside a test');
      return db;
    },
  };
}
