import type net from 'node:net';
import { BSON } from 'mongodb';
import { buildLegacy, buildOpMsg, MessageFramer, OP_CODES } from '../../wire/index.ts';

/** How long a refused client may take to send its first message before it is cut. */
const REFUSE_WAIT_MS = 2_000;

/**
 * Refuses a connection so the application sees why: its first message (the driver's
 * hello) is answered with a command error naming the reason, then the connection is
 * closed (code 1, InternalError: drivers report a server error with this text rather
 * than a bare network error). A client that sends nothing is cut after REFUSE_WAIT_MS;
 * nothing is forwarded upstream.
 */
export function refuseConnection(client: net.Socket, reason: string): void {
  const framer = new MessageFramer();
  const timer = setTimeout(() => client.destroy(), REFUSE_WAIT_MS);
  timer.unref();
  const done = (): void => {
    clearTimeout(timer);
    client.destroy();
  };
  client.on('error', done);
  client.on('close', () => clearTimeout(timer));
  client.on('data', (chunk: Buffer) => {
    const err = framer.push(chunk, 0, (m) => {
      const requestId = m.readInt32LE(4);
      const op = m.readInt32LE(12);
      const body = Buffer.from(BSON.serialize({ ok: 0, errmsg: reason, code: 1, codeName: 'InternalError' }));
      const parts =
        op === OP_CODES.OP_MSG
          ? buildOpMsg({ requestId: 0, responseTo: requestId, flags: 0, sections: [{ kind: 0, body }] })
          : op === OP_CODES.OP_QUERY
            ? buildLegacy({ opCode: OP_CODES.OP_REPLY, requestId: 0, responseTo: requestId, responseFlags: 0, cursorId: 0n, startingFrom: 0, documents: [body] } as Parameters<typeof buildLegacy>[0])
            : undefined;
      clearTimeout(timer);
      client.pause();
      if (parts) client.end(Buffer.concat(parts), () => client.destroy());
      else client.destroy();
    });
    if (err) done();
  });
}
