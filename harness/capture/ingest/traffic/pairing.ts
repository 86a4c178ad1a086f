import { BSON, type Document } from 'mongodb';
import { WireProtocolError } from '../../../errors.ts';
import { isCredentialCommand } from '../../../model/command-name.ts';
import type { OperationRecord } from '../../../model/record.ts';
import { decodeMessage, MSG_FLAGS, OP_CODES, replyToDocument, requestToCommand, type DecodedMessage, type LogicalCommand } from '../../../wire/index.ts';
import { parseShellDocument } from '../shell-json.ts';
import type { IngestIssue } from '../summary.ts';

/** One packet with where it came from and its time already on the epoch clock. */
export interface TimedPacket {
  readonly file: string;
  readonly index: number;
  readonly sessionId: bigint;
  readonly session: string;
  /** Microseconds since the epoch. */
  readonly t: number;
  readonly message: Buffer;
}

/** Commands whose payload is a credential: kept as a name only (BRIEF: auth conversations are not recorded). */
const AUTH_COMMANDS = new Set(['saslStart', 'saslContinue', 'authenticate', 'getnonce', 'copydbsaslstart', 'copydbgetnonce', 'createUser', 'updateUser']);
const HELLO_COMMANDS = new Set(['hello', 'isMaster', 'ismaster']);

/**
 * Requests not yet answered, in start order. A record leaves only when every earlier
 * request has left, so records come out in request (start-time) order; a request
 * whose reply never comes is released without one after this many later requests,
 * which bounds memory however long the recording.
 */
const MAX_WAITING = 10_000;

interface Pending {
  record: OperationRecord;
  done: boolean;
  key?: string;
}

interface SessionState {
  app?: string;
  client?: string;
}

/**
 * Pairs requests with their replies per session (`responseTo` = the request's
 * `requestID`; exhaust replies chain `responseTo` to the previous reply) and turns
 * each pair into a record. The app name comes from the session's hello/isMaster
 * (`client.application.name`); `--app` overrides it.
 */
export async function* pairPackets(packets: AsyncIterable<TimedPacket>, options: { app?: string; onIssue: (i: IngestIssue) => void; firstSeq?: number }): AsyncGenerator<OperationRecord> {
  const sessions = new Map<bigint, SessionState>();
  const waiting = new Map<string, Pending>();
  const queue: Pending[] = [];
  let head = 0;
  let seq = options.firstSeq ?? 0;

  function* release(force: boolean): Generator<OperationRecord> {
    while (head < queue.length && (queue[head]!.done || (force && queue.length - head > 0) || queue.length - head > MAX_WAITING)) {
      const p = queue[head++]!;
      if (p.key) waiting.delete(p.key);
      p.record.seq = seq++;
      yield p.record;
    }
    // Compact now and then so the array does not grow with the recording.
    if (head > 4096 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
  }

  for await (const pk of packets) {
    const state = sessions.get(pk.sessionId) ?? newSession(sessions, pk);
    if (pk.message.length === 0) continue; // session start/end event
    const decoded = await decodeMessage(pk.message);
    if (decoded instanceof WireProtocolError) {
      options.onIssue({ file: pk.file, line: pk.index, code: 'MC_INGEST_TRAFFIC_BAD_MESSAGE', message: `session ${pk.sessionId}: ${decoded.message}` });
      continue;
    }
    if (decoded.isReply) {
      const key = `${pk.sessionId}:${decoded.message.header.responseTo}`;
      const p = waiting.get(key);
      if (!p) continue; // a reply to a request before the recording started
      waiting.delete(key);
      attachReply(p, decoded, pk.t);
      if (p.done) delete p.key;
      else {
        // Exhaust: the next reply answers this one.
        p.key = `${pk.sessionId}:${decoded.message.header.requestId}`;
        waiting.set(p.key, p);
      }
      yield* release(false);
      continue;
    }
    const cmd = requestToCommand(decoded.message);
    if (cmd instanceof WireProtocolError) {
      options.onIssue({ file: pk.file, line: pk.index, code: 'MC_INGEST_TRAFFIC_BAD_MESSAGE', message: `session ${pk.sessionId}: ${cmd.message}` });
      continue;
    }
    if (HELLO_COMMANDS.has(cmd.cmd)) {
      const name = (cmd.command.client as Document | undefined)?.application as Document | undefined;
      if (typeof name?.name === 'string') state.app = name.name;
    }
    const p: Pending = { record: toRecord(cmd, decoded, pk, state, options.app), done: false };
    if (cmd.moreToCome) p.done = true; // no reply will come (w:0 writes, legacy writes)
    else {
      p.key = `${pk.sessionId}:${decoded.message.header.requestId}`;
      waiting.set(p.key, p);
    }
    queue.push(p);
    yield* release(false);
  }
  yield* release(true);
}

function newSession(sessions: Map<bigint, SessionState>, pk: TimedPacket): SessionState {
  const state: SessionState = {};
  // `{ remote: "10.0.0.5:51807", local: "10.0.0.1:27017" }` in the shell notation.
  const parsed = parseShellDocument(pk.session);
  if (parsed.ok) {
    const remote = (parsed.value as Record<string, unknown>).remote;
    if (typeof remote === 'string') state.client = remote;
  }
  sessions.set(pk.sessionId, state);
  return state;
}

function toRecord(cmd: LogicalCommand, decoded: DecodedMessage, pk: TimedPacket, state: SessionState, appOverride?: string): OperationRecord {
  const auth = AUTH_COMMANDS.has(cmd.cmd) || isCredentialCommand(cmd.cmd);
  const rec: OperationRecord = {
    seq: 0,
    t: pk.t,
    dur: null,
    conn: `s${pk.sessionId}`,
    db: cmd.db,
    cmd: cmd.cmd,
    op: cmd.op,
    // Credentials never enter a capture: keep only which conversation step this was.
    command: auth ? { [cmd.cmd]: new BSON.Int32(1) } : cmd.command,
    wire: {
      requestId: decoded.message.header.requestId,
      ...(cmd.moreToCome ? { moreToCome: true } : {}),
      ...(cmd.exhaustAllowed ? { exhaustAllowed: true } : {}),
      ...(decoded.compressor ? { compressor: decoded.compressor } : {}),
    },
  };
  if (state.client) rec.client = state.client;
  const app = appOverride ?? state.app;
  if (app) rec.app = app;
  if (cmd.coll) rec.coll = cmd.coll;
  const reason = auth ? 'auth' : (cmd.notReplayable ?? (cmd.moreToCome ? 'unacknowledged-reply-missing' : undefined));
  if (reason) rec.notReplayable = reason;
  return rec;
}

function attachReply(p: Pending, decoded: DecodedMessage, t: number): void {
  const rec = p.record;
  const doc = replyToDocument(decoded.message);
  const moreToCome = decoded.message.opCode === OP_CODES.OP_MSG && (decoded.message.flags & MSG_FLAGS.MORE_TO_COME) !== 0;
  rec.dur = Math.max(0, t - rec.t);
  rec.replySize = (rec.replySize ?? 0) + decoded.wireSize;
  rec.wire = { ...rec.wire, replies: (rec.wire?.replies ?? 0) + 1 };
  if (!(doc instanceof WireProtocolError) && rec.notReplayable !== 'auth') {
    rec.reply = { mode: 'full', doc };
    const ok = doc.ok;
    const okNum = typeof ok === 'number' ? ok : ok && typeof ok === 'object' && 'valueOf' in ok ? Number(ok.valueOf()) : undefined;
    if (okNum === 0) {
      const code = doc.code as { valueOf(): unknown } | number | undefined;
      rec.error = {
        ...(code !== undefined ? { code: Number(typeof code === 'number' ? code : code.valueOf()) } : {}),
        ...(typeof doc.codeName === 'string' ? { codeName: doc.codeName } : {}),
        ...(typeof doc.errmsg === 'string' ? { message: doc.errmsg } : {}),
      };
    }
  }
  p.done = !moreToCome;
}
