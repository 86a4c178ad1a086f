import { BSON } from 'mongodb';
import { buildOpMsg, type MsgSection } from './op-msg.ts';
import { HEADER_SIZE, MAX_MESSAGE_SIZE } from './opcodes.ts';

/*
 * OP_COMMAND (2010) and OP_COMMANDREPLY (2011): the 3.2-era command messages, spoken by
 * the 3.2-3.4 shell and between 3.2-3.6 servers, removed in 4.2. A capture of an old
 * deployment holds them, plain or inside OP_COMPRESSED (3.4 compressed them), so
 * parseMessage (message.ts) reads them as the OP_MSG they stand for, recorded like any
 * command.
 *
 *   OP_COMMAND:      header | database cstring | commandName cstring | 2 documents | input documents*
 *   OP_COMMANDREPLY: header | 2 documents | output documents*
 *
 * The order of the two documents differs between the manual (metadata first) and the
 * servers' sources (arguments first); the command's arguments are recognised by their
 * first key (the command name), a reply by its `ok` field, whatever the order.
 */
export const OP_COMMAND = 2010;
export const OP_COMMANDREPLY = 2011;

/** Input documents go in the array field the OP_MSG form of the command uses. */
const SEQUENCE_OF: Readonly<Record<string, string>> = { insert: 'documents', update: 'updates', delete: 'deletes' };

/** The OP_MSG equivalent (same requestID and responseTo), or undefined when the bytes are not a well-formed OP_COMMAND(REPLY). */
export function opCommandAsOpMsg(m: Buffer): Buffer | undefined {
  if (m.length < HEADER_SIZE || m.length > MAX_MESSAGE_SIZE) return undefined;
  const opCode = m.readInt32LE(12);
  const requestId = m.readInt32LE(4);
  const responseTo = m.readInt32LE(8);
  let at = HEADER_SIZE;
  let database = '';
  let commandName = '';
  if (opCode === OP_COMMAND) {
    const a = cstring(m, at);
    if (!a) return undefined;
    const b = cstring(m, a.next);
    if (!b) return undefined;
    [database, commandName, at] = [a.text, b.text, b.next];
  } else if (opCode !== OP_COMMANDREPLY) return undefined;
  const docs: Buffer[] = [];
  while (at < m.length) {
    const len = at + 4 <= m.length ? m.readInt32LE(at) : -1;
    if (len < 5 || at + len > m.length || m[at + len - 1] !== 0) return undefined;
    docs.push(m.subarray(at, at + len));
    at += len;
  }
  if (docs.length < 2) return undefined;
  let main: Buffer;
  try {
    const first = BSON.deserialize(docs[0]!, { promoteValues: false });
    const second = BSON.deserialize(docs[1]!, { promoteValues: false });
    if (opCode === OP_COMMAND) {
      const firstIsArgs = Object.keys(first)[0]?.toLowerCase() === commandName.toLowerCase();
      const args = firstIsArgs ? first : Object.keys(second)[0]?.toLowerCase() === commandName.toLowerCase() ? second : first;
      main = Buffer.from(BSON.serialize({ ...args, $db: database }));
    } else main = 'ok' in first && !('ok' in second) ? docs[0]! : docs[1]!;
  } catch {
    return undefined;
  }
  const sections: MsgSection[] = [{ kind: 0, body: main }];
  const rest = docs.slice(2);
  if (opCode === OP_COMMAND && rest.length > 0) sections.push({ kind: 1, identifier: SEQUENCE_OF[commandName] ?? 'documents', documents: rest });
  return Buffer.concat(buildOpMsg({ requestId, responseTo, sections }));
}

function cstring(b: Buffer, at: number): { text: string; next: number } | undefined {
  const end = b.indexOf(0, at);
  if (end === -1) return undefined;
  return { text: b.toString('utf8', at, end), next: end + 1 };
}
