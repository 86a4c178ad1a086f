import { BSON, type Document } from 'mongodb';
import type { NotReplayableReason } from '../model/record.ts';
import { WireProtocolError } from '../errors.ts';
import type { OpReply } from './legacy.ts';
import { asWireError, type PlainMessage } from './message.ts';
import { MSG_FLAGS, OP_CODES, opCodeName, type OpCodeName } from './opcodes.ts';
import type { OpMsg } from './op-msg.ts';

/*
 * Driver BSON classes in memory (Int32, Double, Long, BSONRegExp…), so that the
 * store's canonical Extended JSON keeps every number type exactly as sent.
 */
const BSON_OPTIONS = Object.freeze({ promoteValues: false, bsonRegExp: true } as const);

export function decodeBson(bytes: Buffer): Document {
  return BSON.deserialize(bytes, BSON_OPTIONS);
}

/** A request as the operation it stands for. */
export interface LogicalCommand {
  readonly db: string;
  readonly coll?: string;
  /** First key of the command body (find, insert, hello…), or the legacy operation's command equivalent. */
  readonly cmd: string;
  readonly op: OpCodeName;
  /** The OP_MSG body with kind-1 sequences merged in as arrays, or a legacy op rendered as a command. */
  readonly command: Document;
  readonly moreToCome: boolean;
  readonly exhaustAllowed: boolean;
  readonly notReplayable?: NotReplayableReason;
}

/** Decodes one BSON document (decodeBson, or a faster equivalent such as bson-fast.ts's). */
export type BsonDecoder = (bytes: Buffer) => Document;

/** Turns a request message into its logical command; errors (bad BSON, a reply given) come back as values. */
export function requestToCommand(m: PlainMessage, decode: BsonDecoder = decodeBson): LogicalCommand | WireProtocolError {
  try {
    return toCommand(m, decode);
  } catch (err) {
    return asWireError(err, `${opCodeName(m.opCode) ?? m.opCode} request`);
  }
}

function toCommand(m: PlainMessage, decode: BsonDecoder): LogicalCommand {
  const op = opCodeName(m.opCode)!;
  switch (m.opCode) {
    case OP_CODES.OP_MSG: {
      const command = msgDocument(m, decode);
      const cmd = Object.keys(command)[0] ?? '';
      const db = typeof command.$db === 'string' ? command.$db : '';
      return {
        db,
        cmd,
        op,
        command,
        ...collOf(command[cmd]),
        moreToCome: (m.flags & MSG_FLAGS.MORE_TO_COME) !== 0,
        exhaustAllowed: (m.flags & MSG_FLAGS.EXHAUST_ALLOWED) !== 0,
      };
    }
    case OP_CODES.OP_QUERY: {
      const [db, coll] = splitNs(m.fullCollectionName);
      let query = decode(m.query);
      if (coll === '$cmd') {
        // Commands over OP_QUERY may wrap the body as {$query: {...}, $readPreference}.
        if (query.$query && typeof query.$query === 'object') query = { ...(query.$query as Document), ...omit(query, '$query') };
        const cmd = Object.keys(query)[0] ?? '';
        return { db, cmd, op, command: query, ...collOf(query[cmd]), moreToCome: false, exhaustAllowed: false };
      }
      // A legacy query rendered as the find command it stands for.
      const filter = query.$query && typeof query.$query === 'object' ? (query.$query as Document) : query;
      const command: Document = { find: coll, filter };
      if (query.$orderby) command.sort = query.$orderby;
      if (m.returnFieldsSelector) command.projection = decode(m.returnFieldsSelector);
      if (m.numberToSkip) command.skip = new BSON.Int32(m.numberToSkip);
      if (m.numberToReturn) command.limit = new BSON.Int32(Math.abs(m.numberToReturn));
      return { db, coll, cmd: 'find', op, command, moreToCome: false, exhaustAllowed: false };
    }
    case OP_CODES.OP_GET_MORE: {
      const [db, coll] = splitNs(m.fullCollectionName);
      const command = { getMore: BSON.Long.fromBigInt(m.cursorId), collection: coll, batchSize: new BSON.Int32(m.numberToReturn) };
      return { db, coll, cmd: 'getMore', op, command, moreToCome: false, exhaustAllowed: false, notReplayable: 'legacy-opcode' };
    }
    case OP_CODES.OP_INSERT: {
      const [db, coll] = splitNs(m.fullCollectionName);
      const command = { insert: coll, documents: m.documents.map(decode), ordered: (m.flags & 1) === 0 };
      return legacyWrite(db, coll, 'insert', op, command);
    }
    case OP_CODES.OP_UPDATE: {
      const [db, coll] = splitNs(m.fullCollectionName);
      const update = { q: decode(m.selector), u: decode(m.update), upsert: (m.flags & 1) !== 0, multi: (m.flags & 2) !== 0 };
      return legacyWrite(db, coll, 'update', op, { update: coll, updates: [update] });
    }
    case OP_CODES.OP_DELETE: {
      const [db, coll] = splitNs(m.fullCollectionName);
      const del = { q: decode(m.selector), limit: new BSON.Int32(m.flags & 1 ? 1 : 0) };
      return legacyWrite(db, coll, 'delete', op, { delete: coll, deletes: [del] });
    }
    case OP_CODES.OP_KILL_CURSORS: {
      const command = { killCursors: '', cursors: m.cursorIds.map((id) => BSON.Long.fromBigInt(id)) };
      return { db: '', cmd: 'killCursors', op, command, moreToCome: true, exhaustAllowed: false, notReplayable: 'legacy-opcode' };
    }
    case OP_CODES.OP_REPLY:
      throw new WireProtocolError('OP_REPLY is a reply, not a request');
  }
}

function legacyWrite(db: string, coll: string, cmd: string, op: OpCodeName, command: Document): LogicalCommand {
  // Legacy writes are fire-and-forget: no reply comes back on the wire.
  return { db, coll, cmd, op, command, moreToCome: true, exhaustAllowed: false, notReplayable: 'legacy-opcode' };
}

/** The reply document: the OP_MSG body (sequences merged), or an OP_REPLY's documents. */
export function replyToDocument(m: PlainMessage, decode: BsonDecoder = decodeBson): Document | WireProtocolError {
  try {
    if (m.opCode === OP_CODES.OP_MSG) return msgDocument(m, decode);
    if (m.opCode === OP_CODES.OP_REPLY) return opReplyDocument(m, decode);
    return new WireProtocolError(`${opCodeName(m.opCode)} is a request, not a reply`);
  } catch (err) {
    return asWireError(err, 'reply');
  }
}

/**
 * A command answered over OP_REPLY has exactly one document, returned as is; a legacy
 * query's batch is rendered like a find reply so that both compare alike.
 */
function opReplyDocument(m: OpReply, decode: BsonDecoder): Document {
  // responseFlags bit 1: QueryFailure, the one document is the $err.
  if (m.documents.length === 1 && (m.cursorId === 0n || (m.responseFlags & 2) !== 0)) return decode(m.documents[0]!);
  return { cursor: { id: BSON.Long.fromBigInt(m.cursorId), firstBatch: m.documents.map(decode) }, ok: new BSON.Double(1) };
}

function msgDocument(m: OpMsg, decode: BsonDecoder): Document {
  let body: Document | undefined;
  const sequences: [string, Document[]][] = [];
  for (const s of m.sections) {
    if (s.kind === 0) body = decode(s.body);
    else sequences.push([s.identifier, s.documents.map(decode)]);
  }
  if (!body) throw new WireProtocolError('OP_MSG without a body');
  for (const [id, docs] of sequences) {
    const existing = Object.hasOwn(body, id) ? body[id] : undefined;
    // Defined, not assigned: a sequence may carry any name, `__proto__` included, and an
    // assignment by that name would set the object's prototype instead of a field.
    Object.defineProperty(body, id, { value: Array.isArray(existing) ? [...(existing as Document[]), ...docs] : docs, enumerable: true, writable: true, configurable: true });
  }
  return body;
}

function collOf(value: unknown): { coll?: string } {
  return typeof value === 'string' && value.length > 0 ? { coll: value } : {};
}

function splitNs(ns: string): [string, string] {
  const dot = ns.indexOf('.');
  return dot === -1 ? [ns, ''] : [ns.slice(0, dot), ns.slice(dot + 1)];
}

function omit(doc: Document, key: string): Document {
  const out: Document = {};
  for (const k of Object.keys(doc)) if (k !== key) out[k] = doc[k];
  return out;
}
