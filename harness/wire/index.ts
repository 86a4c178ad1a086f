/**
 * The wire-protocol codec: header, OP_MSG, OP_COMPRESSED and the legacy opcodes.
 * Decoders return typed results (a WireProtocolError value on bad input) and never
 * throw; BSON is left as slices until asked for. Encoders given pieces they cannot
 * frame throw a WireProtocolError.
 */
export * from './opcodes.ts';
export { crc32c } from './crc32c.ts';
export { parseHeader, buildHeader, type MessageHeader } from './header.ts';
export { parseOpMsg, buildOpMsg, type OpMsg, type OpMsgInput, type MsgSection } from './op-msg.ts';
export { buildOpMsgCommand, bsonElement } from './op-msg-command.ts';
export { parseLegacy, buildLegacy, type LegacyMessage, type LegacyInput, type OpQuery, type OpReply, type OpGetMore, type OpInsert, type OpUpdate, type OpDelete, type OpKillCursors } from './legacy.ts';
export { parseOpCompressed, decompressMessage, compressMessage, type OpCompressed } from './compression.ts';
export { parseMessage, decodeMessage, decodePlainMessage, uncompressedMessage, type WireMessage, type PlainMessage, type DecodedMessage } from './message.ts';
export { requestToCommand, replyToDocument, decodeBson, type LogicalCommand, type BsonDecoder } from './command.ts';
export { decodeBsonFast } from './bson-fast.ts';
export { decodeSingleBodyOpMsg } from './op-msg-lean.ts';
export { MessageFramer } from './framer.ts';
export { OP_COMMAND, OP_COMMANDREPLY, opCommandAsOpMsg } from './op-command.ts';
