import { fc, test } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { rewriteCommand } from '../../../harness/replay/rewrite.ts';

const lsid = { id: new BSON.Binary(Buffer.alloc(16, 7), 4) };
// Integer-like keys sort first in JS objects; command names never are integers.
const key = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__' && !/^\d+$/.test(k));
const doc = fc.dictionary(key, fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null)), { maxKeys: 6 });

describe('rewriteCommand', () => {
  it('drops the cluster time, $db and lsid, and returns the session key', () => {
    const r = rewriteCommand('app', { find: 'users', filter: {}, lsid, $clusterTime: { clusterTime: new BSON.Timestamp({ t: 1, i: 1 }) }, $db: 'app', txnNumber: BSON.Long.fromNumber(3) }, { replicaSet: false });
    expect(Object.keys(r.command)).toEqual(['find', 'filter', 'txnNumber']);
    expect(r.sessionKey).toBe('07'.repeat(16));
    expect(String(r.command.txnNumber)).toBe('3');
  });

  it('sends a read of a transaction outside it when writes are not replayed, and as recorded when they are', () => {
    const lsid = { id: new BSON.Binary(Buffer.alloc(16, 7), 4) };
    const inTxn = { find: 'orders', filter: { _id: 1 }, lsid, txnNumber: BSON.Long.fromNumber(3), autocommit: false, startTransaction: true, readConcern: { level: 'snapshot' }, $db: 'shop' };
    const out = rewriteCommand('shop', inTxn, { replicaSet: true, outsideTransactions: true });
    expect(out.command).toEqual({ find: 'orders', filter: { _id: 1 } });
    expect(out.sessionKey).toBe('07'.repeat(16));
    expect(out.notes).toEqual(['reads of multi-document transactions sent outside them (their writes are not replayed)']);
    const majority = rewriteCommand('shop', { ...inTxn, readConcern: { level: 'majority' } }, { replicaSet: true, outsideTransactions: true });
    expect(majority.command).toEqual({ find: 'orders', filter: { _id: 1 }, readConcern: { level: 'majority' } });
    const kept = rewriteCommand('shop', inTxn, { replicaSet: true });
    expect(kept.command).toMatchObject({ txnNumber: BSON.Long.fromNumber(3), autocommit: false, startTransaction: true, readConcern: { level: 'snapshot' } });
    expect(kept.notes).toEqual([]);
    // A retryable write's txnNumber (no autocommit) is not a transaction: untouched.
    const retryable = rewriteCommand('shop', { insert: 'orders', documents: [], lsid, txnNumber: BSON.Long.fromNumber(4) }, { replicaSet: true, outsideTransactions: true });
    expect(retryable.command).toEqual({ insert: 'orders', documents: [], txnNumber: BSON.Long.fromNumber(4) });
  });

  it('keeps readPreference for a replica set and drops it with a note for a standalone server', () => {
    const cmd = { find: 'users', $readPreference: { mode: 'secondary' } };
    expect(rewriteCommand('d', cmd, { replicaSet: true }).readPreference).toEqual({ mode: 'secondary' });
    const standalone = rewriteCommand('d', cmd, { replicaSet: false });
    expect(standalone.readPreference).toBeUndefined();
    expect(standalone.notes[0]).toMatch(/secondary dropped: target is standalone/);
  });

  it('renames databases, including namespaces and $out/$merge targets', () => {
    const mapDb = new Map([['prod', 'clone']]);
    expect(rewriteCommand('prod', { find: 'x' }, { replicaSet: false, mapDb }).db).toBe('clone');
    const rn = rewriteCommand('admin', { renameCollection: 'prod.a', to: 'prod.b' }, { replicaSet: false, mapDb });
    expect(rn.command).toEqual({ renameCollection: 'clone.a', to: 'clone.b' });
    const agg = rewriteCommand('prod', { aggregate: 'a', pipeline: [{ $match: {} }, { $out: { db: 'prod', coll: 'o' } }] }, { replicaSet: false, mapDb });
    expect((agg.command.pipeline as BSON.Document[])[1]).toEqual({ $out: { db: 'clone', coll: 'o' } });
    expect(rewriteCommand('other', { find: 'x' }, { replicaSet: false, mapDb }).db).toBe('other');
  });

  test.prop([key, doc, fc.boolean()])('keeps the command name first, never throws, and is idempotent', (name, body, rs) => {
    const command = { [name]: 1, ...body, lsid };
    const once = rewriteCommand('d', command, { replicaSet: rs });
    expect(Object.keys(once.command)[0]).toBe(name);
    for (const k of ['$clusterTime', '$db', 'lsid', '$readPreference']) if (k !== name) expect(once.command).not.toHaveProperty(k);
    expect(rewriteCommand('d', once.command, { replicaSet: rs }).command).toEqual(once.command);
  });
});
