import type { Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { OperationRecord } from '../../../harness/model/record.ts';
import type { Outbound } from '../../../harness/replay/cursors.ts';
import { Sender, type ReplayTarget } from '../../../harness/replay/send.ts';
import type { SendOptions, SendResult } from '../../../harness/replay/target.ts';

/** Stand-in targets that note, in one shared list, the order in which they were sent to. */
function targets(n: number, started: number[][]): ReplayTarget[] {
  let op: number[] = [];
  return Array.from({ length: n }, (_, i) => ({
    name: `t${i}`,
    replicaSet: false,
    send(_db: string, command: Document): Promise<SendResult> {
      if (op.length === 0) started.push((op = []));
      op.push(i);
      if (op.length === n) op = [];
      return Promise.resolve({ kind: 'ok', reply: { ok: 1, from: i, i: command.i as number }, sentAt: 0, endAt: 0 });
    },
  }));
}

const rec: OperationRecord = { seq: 0, t: 0, dur: 0, conn: 'c1', db: 'app', cmd: 'ping', op: 'OP_MSG', command: { ping: 1 } };

describe('Sender.sendAll', () => {
  it.each([2, 3, 4])('over 2n operations to %i targets, starts each target before each other one equally often', async (n) => {
    const started: number[][] = [];
    const sender = new Sender(targets(n, started), new Map());
    const out: Outbound[] = Array.from({ length: n }, () => ({ db: 'app', command: { ping: 1 } }));
    for (let k = 0; k < 4 * n; k++) await sender.sendAll(rec, out, true);
    expect(started).toHaveLength(4 * n);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        if (a === b) continue;
        const aFirst = started.filter((order) => order.indexOf(a) < order.indexOf(b)).length;
        expect(aFirst, `target ${a} before target ${b}`).toBe(2 * n);
      }
    }
    // Every target is also first as often as any other.
    for (let a = 0; a < n; a++) expect(started.filter((order) => order[0] === a)).toHaveLength(4);
  });

  it('alternates which of two targets goes first, and returns results in target order whatever the order sent', async () => {
    const started: number[][] = [];
    const sender = new Sender(targets(2, started), new Map());
    for (let k = 0; k < 4; k++) {
      const results = await sender.sendAll(rec, [{ db: 'app', command: { i: k } }, { db: 'app', command: { i: k } }], true);
      expect(results.map((r) => (r?.kind === 'ok' ? r.reply.from : null))).toEqual([0, 1]);
    }
    expect(started).toEqual([
      [0, 1],
      [1, 0],
      [0, 1],
      [1, 0],
    ]);
  });

  it('skips a target with nothing to send and still answers null in its place', async () => {
    const sent: number[] = [];
    const ts = targets(3, []).map((t, i) => ({ ...t, send: (db: string, c: Document, o: { sessionKey?: string; retry: boolean }) => (sent.push(i), t.send(db, c, o)) }));
    const results = await new Sender(ts, new Map()).sendAll(rec, [{ db: 'app', command: { ping: 1 } }, null, { db: 'app', command: { ping: 1 } }], true);
    expect(results[1]).toBeNull();
    expect(results[0]).not.toBeNull();
    expect(sent.sort()).toEqual([0, 2]);
  });
});

describe('Sender.sendAll timing', () => {
  it('hands every target of one operation the same timing, and each operation a fresh one', async () => {
    const calls: (object | undefined)[] = [];
    const ts: ReplayTarget[] = Array.from({ length: 3 }, (_, i) => ({
      name: `t${i}`,
      replicaSet: false,
      send(_db: string, _command: Document, options: SendOptions): Promise<SendResult> {
        calls.push(options.timing);
        return Promise.resolve({ kind: 'ok', reply: { ok: 1 }, sentAt: 0, endAt: 0 });
      },
    }));
    const sender = new Sender(ts, new Map());
    const out: Outbound[] = Array.from({ length: 3 }, () => ({ db: 'app', command: { ping: 1 } }));
    await sender.sendAll(rec, out, true);
    await sender.sendAll(rec, out, true);
    // Three sends per operation, whatever order the targets were started in.
    const seen = [calls.slice(0, 3), calls.slice(3, 6)];
    expect(calls).toHaveLength(6);
    for (const op of seen) {
      expect(op[0]).toEqual({ sentAt: 0 });
      expect(op[1]).toBe(op[0]);
      expect(op[2]).toBe(op[0]);
    }
    expect(seen[1]![0]).not.toBe(seen[0]![0]);
  });
});
