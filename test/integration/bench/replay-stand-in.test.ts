import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The replay benchmark's stand-in wire server (bench/replay/stand-in-server.ts) is not a
 * database, but the benchmark is only worth its figures if the replayer does against it
 * what it does against a server: parse cursors, follow getMores, read write results.
 * Checked here with the real driver over a real socket.
 */
const SCRIPT = fileURLToPath(new URL('../../../bench/replay/stand-in-server.ts', import.meta.url));
let child: ChildProcess;
let client: MongoClient;

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const { port } = JSON.parse(line) as { port: number };
  client = new MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`, { serverSelectionTimeoutMS: 5_000 });
  await client.connect();
});
afterAll(async () => {
  await client?.close();
  child?.kill('SIGTERM');
});

describe('replay bench stand-in server', () => {
  const items = () => client.db('bench').collection('items');

  it('answers hello as a writable primary', async () => {
    const hello = await client.db('admin').command({ hello: 1 });
    expect(hello).toMatchObject({ isWritablePrimary: true, ok: 1 });
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(8);
  });

  it('answers a find with a document of about 1 KiB', async () => {
    const docs = await items().find({ _id: 1 as never }).toArray();
    expect(docs).toHaveLength(1);
    expect(docs[0]!._id).toBe(1);
    expect(BSON.calculateObjectSize(docs[0]!)).toBeGreaterThan(900);
  });

  it('keeps a find with a batchSize open for a getMore that ends it', async () => {
    const docs = await items().find({}, { batchSize: 2 }).toArray();
    expect(docs.map((d) => d._id)).toEqual([1, 2, 3, 4]);
  });

  it('answers aggregate with a cursor, and writes with their counts', async () => {
    expect(await items().aggregate([{ $match: {} }]).toArray()).toHaveLength(3);
    expect((await items().insertOne({ _id: 9 as never, a: 1 })).acknowledged).toBe(true);
    expect((await items().updateOne({ _id: 1 as never }, { $set: { a: 2 } })).modifiedCount).toBe(1);
    expect((await items().deleteOne({ _id: 1 as never })).deletedCount).toBe(1);
    expect(await items().findOneAndUpdate({ _id: 1 as never }, { $inc: { n: 1 } })).toMatchObject({ _id: 1 });
  });
});
