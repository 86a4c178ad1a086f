import { WireProtocolError } from '../errors.ts';
import { ByteCursor } from './cursor.ts';
import { buildHeader, totalLength, type MessageHeader } from './header.ts';
import { HEADER_SIZE, OP_CODES } from './opcodes.ts';

/*
 * The legacy opcodes (Wire Protocol spec, "Legacy Opcodes"). OP_QUERY and OP_REPLY
 * still carry the first handshake of several drivers; the others were removed in
 * MongoDB 5.1/6.0 but old applications still send them, so they are decoded far
 * enough to be recorded (and linted) as legacy operations.
 */

export interface OpQuery {
  readonly opCode: typeof OP_CODES.OP_QUERY;
  readonly header: MessageHeader;
  readonly flags: number;
  readonly fullCollectionName: string;
  readonly numberToSkip: number;
  readonly numberToReturn: number;
  readonly query: Buffer;
  readonly returnFieldsSelector?: Buffer;
}

export interface OpReply {
  readonly opCode: typeof OP_CODES.OP_REPLY;
  readonly header: MessageHeader;
  readonly responseFlags: number;
  readonly cursorId: bigint;
  readonly startingFrom: number;
  readonly documents: readonly Buffer[];
}

export interface OpGetMore {
  readonly opCode: typeof OP_CODES.OP_GET_MORE;
  readonly header: MessageHeader;
  readonly fullCollectionName: string;
  readonly numberToReturn: number;
  readonly cursorId: bigint;
}

export interface OpInsert {
  readonly opCode: typeof OP_CODES.OP_INSERT;
  readonly header: MessageHeader;
  readonly flags: number;
  readonly fullCollectionName: string;
  readonly documents: readonly Buffer[];
}

export interface OpUpdate {
  readonly opCode: typeof OP_CODES.OP_UPDATE;
  readonly header: MessageHeader;
  readonly fullCollectionName: string;
  readonly flags: number;
  readonly selector: Buffer;
  readonly update: Buffer;
}

export interface OpDelete {
  readonly opCode: typeof OP_CODES.OP_DELETE;
  readonly header: MessageHeader;
  readonly fullCollectionName: string;
  readonly flags: number;
  readonly selector: Buffer;
}

export interface OpKillCursors {
  readonly opCode: typeof OP_CODES.OP_KILL_CURSORS;
  readonly header: MessageHeader;
  readonly cursorIds: readonly bigint[];
}

export type LegacyMessage = OpQuery | OpReply | OpGetMore | OpInsert | OpUpdate | OpDelete | OpKillCursors;

/** The opCode-specific part; the header has been read and checked by the caller. */
export function parseLegacy(buf: Buffer, header: MessageHeader): LegacyMessage {
  const c = new ByteCursor(buf, HEADER_SIZE, header.messageLength);
  switch (header.opCode) {
    case OP_CODES.OP_QUERY: {
      const flags = c.int32('OP_QUERY flags');
      const fullCollectionName = c.cstring('OP_QUERY fullCollectionName');
      const numberToSkip = c.int32('OP_QUERY numberToSkip');
      const numberToReturn = c.int32('OP_QUERY numberToReturn');
      const query = c.document('OP_QUERY query');
      const returnFieldsSelector = c.remaining > 0 ? c.document('OP_QUERY returnFieldsSelector') : undefined;
      end(c, 'OP_QUERY');
      return { opCode: OP_CODES.OP_QUERY, header, flags, fullCollectionName, numberToSkip, numberToReturn, query, ...(returnFieldsSelector ? { returnFieldsSelector } : {}) };
    }
    case OP_CODES.OP_REPLY: {
      const responseFlags = c.int32('OP_REPLY responseFlags');
      const cursorId = c.int64('OP_REPLY cursorID');
      const startingFrom = c.int32('OP_REPLY startingFrom');
      const numberReturned = c.int32('OP_REPLY numberReturned');
      const documents: Buffer[] = [];
      while (c.remaining > 0) documents.push(c.document('OP_REPLY documents'));
      if (numberReturned !== documents.length) throw new WireProtocolError(`OP_REPLY: numberReturned ${numberReturned} but ${documents.length} documents`);
      return { opCode: OP_CODES.OP_REPLY, header, responseFlags, cursorId, startingFrom, documents };
    }
    case OP_CODES.OP_GET_MORE: {
      c.int32('OP_GET_MORE ZERO');
      const fullCollectionName = c.cstring('OP_GET_MORE fullCollectionName');
      const numberToReturn = c.int32('OP_GET_MORE numberToReturn');
      const cursorId = c.int64('OP_GET_MORE cursorID');
      end(c, 'OP_GET_MORE');
      return { opCode: OP_CODES.OP_GET_MORE, header, fullCollectionName, numberToReturn, cursorId };
    }
    case OP_CODES.OP_INSERT: {
      const flags = c.int32('OP_INSERT flags');
      const fullCollectionName = c.cstring('OP_INSERT fullCollectionName');
      const documents: Buffer[] = [];
      while (c.remaining > 0) documents.push(c.document('OP_INSERT documents'));
      return { opCode: OP_CODES.OP_INSERT, header, flags, fullCollectionName, documents };
    }
    case OP_CODES.OP_UPDATE: {
      c.int32('OP_UPDATE ZERO');
      const fullCollectionName = c.cstring('OP_UPDATE fullCollectionName');
      const flags = c.int32('OP_UPDATE flags');
      const selector = c.document('OP_UPDATE selector');
      const update = c.document('OP_UPDATE update');
      end(c, 'OP_UPDATE');
      return { opCode: OP_CODES.OP_UPDATE, header, fullCollectionName, flags, selector, update };
    }
    case OP_CODES.OP_DELETE: {
      c.int32('OP_DELETE ZERO');
      const fullCollectionName = c.cstring('OP_DELETE fullCollectionName');
      const flags = c.int32('OP_DELETE flags');
      const selector = c.document('OP_DELETE selector');
      end(c, 'OP_DELETE');
      return { opCode: OP_CODES.OP_DELETE, header, fullCollectionName, flags, selector };
    }
    case OP_CODES.OP_KILL_CURSORS: {
      c.int32('OP_KILL_CURSORS ZERO');
      const n = c.int32('OP_KILL_CURSORS numberOfCursorIDs');
      if (n < 0 || n * 8 !== c.remaining) throw new WireProtocolError(`OP_KILL_CURSORS: ${n} cursor ids do not fill ${c.remaining} bytes`);
      const cursorIds: bigint[] = [];
      for (let i = 0; i < n; i++) cursorIds.push(c.int64('OP_KILL_CURSORS cursorIDs'));
      return { opCode: OP_CODES.OP_KILL_CURSORS, header, cursorIds };
    }
    default:
      throw new WireProtocolError(`unknown opCode ${header.opCode}`);
  }
}

function end(c: ByteCursor, what: string): void {
  if (c.remaining !== 0) throw new WireProtocolError(`${what}: ${c.remaining} unexpected trailing bytes`);
}

/** Fields of a legacy message without its header; `requestId`/`responseTo` go in the header. */
export type LegacyInput = { readonly requestId: number; readonly responseTo?: number } & (
  | Omit<OpQuery, 'header'>
  | Omit<OpReply, 'header'>
  | Omit<OpGetMore, 'header'>
  | Omit<OpInsert, 'header'>
  | Omit<OpUpdate, 'header'>
  | Omit<OpDelete, 'header'>
  | Omit<OpKillCursors, 'header'>
);

export function buildLegacy(m: LegacyInput): Buffer[] {
  const parts: Buffer[] = [];
  switch (m.opCode) {
    case OP_CODES.OP_QUERY:
      parts.push(i32(m.flags), cstr(m.fullCollectionName), i32(m.numberToSkip), i32(m.numberToReturn), m.query);
      if (m.returnFieldsSelector) parts.push(m.returnFieldsSelector);
      break;
    case OP_CODES.OP_REPLY:
      parts.push(i32(m.responseFlags), i64(m.cursorId), i32(m.startingFrom), i32(m.documents.length), ...m.documents);
      break;
    case OP_CODES.OP_GET_MORE:
      parts.push(i32(0), cstr(m.fullCollectionName), i32(m.numberToReturn), i64(m.cursorId));
      break;
    case OP_CODES.OP_INSERT:
      parts.push(i32(m.flags), cstr(m.fullCollectionName), ...m.documents);
      break;
    case OP_CODES.OP_UPDATE:
      parts.push(i32(0), cstr(m.fullCollectionName), i32(m.flags), m.selector, m.update);
      break;
    case OP_CODES.OP_DELETE:
      parts.push(i32(0), cstr(m.fullCollectionName), i32(m.flags), m.selector);
      break;
    case OP_CODES.OP_KILL_CURSORS:
      parts.push(i32(0), i32(m.cursorIds.length), ...m.cursorIds.map(i64));
      break;
  }
  return [buildHeader(HEADER_SIZE + totalLength(parts), m.requestId, m.responseTo ?? 0, m.opCode), ...parts];
}

function i32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32LE(v | 0, 0);
  return b;
}

function i64(v: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigInt64LE(BigInt.asIntN(64, v), 0);
  return b;
}

function cstr(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf8');
}
