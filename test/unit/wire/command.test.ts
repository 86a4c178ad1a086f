import { BSON } from 'mongodb';
import { describe, expect, test } from 'vitest';
import { buildLegacy, buildOpMsg, OP_CODES, parseMessage, replyToDocument, requestToCommand, type LogicalCommand, type PlainMessage } from '../../../harness/wire/index.ts';

const bson = (d: object) => Buffer.from(BSON.serialize(d));
const parse = (parts: Buffer[]) => parseMessage(Buffer.concat(parts)) as PlainMessage;

describe('logical command of a request', () => {
  test('an OP_MSG insert merges its kind-1 documents sequence into the body', () => {
    const m = parse(buildOpMsg({ requestId: 7, sections: [{ kind: 0, body: bson({ insert: 'jobs', ordered: true, $db: 'app' }) }, { kind: 1, identifier: 'documents', documents: [bson({ a: 1 }), bson({ a: 2 })] }] }));
    const c = requestToCommand(m) as LogicalCommand;
    expect(c).toMatchObject({ db: 'app', coll: 'jobs', cmd: 'insert', op: 'OP_MSG', moreToCome: false });
    expect(BSON.EJSON.serialize(c.command.documents)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(c.command.a).toBeUndefined();
  });

  test('a document sequence keeps any name, __proto__ and constructor included', () => {
    for (const identifier of ['__proto__', 'constructor', 'toString', 'updates']) {
      const m = parse(buildOpMsg({ requestId: 8, sections: [{ kind: 0, body: bson({ update: 'jobs', $db: 'app' }) }, { kind: 1, identifier, documents: [bson({ q: {} })] }] }));
      const c = requestToCommand(m) as LogicalCommand;
      expect(Object.keys(c.command), identifier).toContain(identifier);
      expect(Object.getOwnPropertyDescriptor(c.command, identifier)?.value, identifier).toHaveLength(1);
      expect(Object.getPrototypeOf(c.command), identifier).toBe(Object.getPrototypeOf({}));
    }
  });

  test('numbers keep their BSON type (Int32 stays Int32, double stays Double)', () => {
    const m = parse(buildOpMsg({ requestId: 1, sections: [{ kind: 0, body: bson({ find: 'c', limit: 5, ratio: new BSON.Double(2), $db: 'd' }) }] }));
    const c = requestToCommand(m) as LogicalCommand;
    expect(c.command.limit).toBeInstanceOf(BSON.Int32);
    expect(c.command.ratio).toBeInstanceOf(BSON.Double);
  });

  test('an OP_QUERY command unwraps $query and keeps the namespace database', () => {
    const m = parse(buildLegacy({ requestId: 1, opCode: OP_CODES.OP_QUERY, flags: 0, fullCollectionName: 'admin.$cmd', numberToSkip: 0, numberToReturn: -1, query: bson({ $query: { isMaster: 1 }, $readPreference: { mode: 'primary' } }) }));
    const c = requestToCommand(m) as LogicalCommand;
    expect(c).toMatchObject({ db: 'admin', cmd: 'isMaster', op: 'OP_QUERY' });
    expect(c.command.$readPreference).toEqual({ mode: 'primary' });
  });

  test('a legacy OP_QUERY on a collection renders as find', () => {
    const m = parse(buildLegacy({ requestId: 1, opCode: OP_CODES.OP_QUERY, flags: 0, fullCollectionName: 'shop.items', numberToSkip: 2, numberToReturn: 10, query: bson({ $query: { x: 1 }, $orderby: { y: -1 } }) }));
    const c = requestToCommand(m) as LogicalCommand;
    expect(c).toMatchObject({ db: 'shop', coll: 'items', cmd: 'find' });
    expect(BSON.EJSON.serialize(c.command, { relaxed: true })).toEqual({ find: 'items', filter: { x: 1 }, sort: { y: -1 }, skip: 2, limit: 10 });
  });

  test('legacy writes are marked legacy-opcode and expect no reply', () => {
    const m = parse(buildLegacy({ requestId: 1, opCode: OP_CODES.OP_UPDATE, fullCollectionName: 'a.b', flags: 3, selector: bson({ _id: 1 }), update: bson({ $set: { v: 2 } }) }));
    const c = requestToCommand(m) as LogicalCommand;
    expect(c).toMatchObject({ cmd: 'update', op: 'OP_UPDATE', moreToCome: true, notReplayable: 'legacy-opcode' });
    expect(BSON.EJSON.serialize(c.command.updates, { relaxed: true })).toEqual([{ q: { _id: 1 }, u: { $set: { v: 2 } }, upsert: true, multi: true }]);
  });

  test('an OP_REPLY to a command gives its single document', () => {
    const m = parse(buildLegacy({ requestId: 2, responseTo: 1, opCode: OP_CODES.OP_REPLY, responseFlags: 0, cursorId: 0n, startingFrom: 0, documents: [bson({ ismaster: true, ok: 1 })] }));
    expect(replyToDocument(m)).toEqual({ ismaster: true, ok: new BSON.Int32(1) });
  });
});
