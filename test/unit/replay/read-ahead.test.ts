import type { Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { OperationRecord } from '../../../harness/model/record.ts';
import { ReplayEngine } from '../../../harness/replay/engine.ts';
import type { ReplayTarget } from '../../../harness/replay/send.ts';
import type { SendResult } from '../../../harness/replay/target.ts';

/*
 * Fast timing reads only a bounded number of records ahead of the operations running:
 * decoded records that wait are what made a replay's memory (engine.ts FAST_HIGH_WATER).
 */

/** Answers `{ok: 1}`; while `held`, its replies wait for release(). */
class GatedTarget implements ReplayTarget {
  readonly name = 'a';
  readonly replicaSet = false;
  sent = 0;
  private waiting: (() => void)[] = [];
  held = true;

  send(): Promise<SendResult> {
    this.sent++;
    const reply: SendResult = { kind: 'ok', reply: { ok: 1 }, sentAt: 0, endAt: 1 };
    if (!this.held) return Promise.resolve(reply);
    return new Promise((resolve) => this.waiting.push(() => resolve(reply)));
  }

  release(): void {
    this.held = false;
    for (const w of this.waiting.splice(0)) w();
  }
}

function record(i: number, conns: number): OperationRecord {
  const command: Document = { ping: 1, i };
  return { seq: i, t: i, dur: 1, conn: `c${i % conns}`, db: 'app', cmd: 'ping', op: 'OP_MSG', command };
}

/** The records, counting how many the engine has taken. */
function counted(n: number, conns: number): { pulled: () => number; records: AsyncIterable<OperationRecord> } {
  let pulled = 0;
  return {
    pulled: () => pulled,
    records: {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < n; i++) {
          pulled++;
          yield record(i, conns);
        }
      },
    },
  };
}

describe('replay engine read-ahead (fast timing)', () => {
  it.each([
    { concurrency: 4, conns: 1 },
    { concurrency: 32, conns: 32 },
    { concurrency: 64, conns: 64 },
  ])('holds at most max(256, 8 per worker) records beyond those running: concurrency $concurrency', async ({ concurrency, conns }) => {
    const target = new GatedTarget();
    const source = counted(20_000, conns);
    const outcomes: unknown[] = [];
    const engine = new ReplayEngine([target], { timing: 'fast', speed: 1, concurrency, allowWrites: false, mapDb: new Map(), measure: true }, (o) => void outcomes.push(o));
    const done = engine.run(source.records);
    // Every worker is stuck on its first operation: the reader stops once the read-ahead is full.
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    const bound = Math.max(256, 8 * concurrency);
    expect(target.sent).toBe(Math.min(concurrency, conns));
    expect(source.pulled()).toBeLessThanOrEqual(bound + target.sent + 1);
    expect(source.pulled()).toBeGreaterThan(target.sent);
    target.release();
    const result = await done;
    // Nothing is lost: every record read is replayed once the target answers.
    expect(result.counts.outcomes).toBe(20_000);
    expect(outcomes).toHaveLength(20_000);
  });
});
