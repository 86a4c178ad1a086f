import { MongoClient, type BSON, type Db } from 'mongodb';
import type { PlanOutcome } from './diff.ts';
import { readExplain } from './read.ts';

/**
 * Sends explain commands to one target through the driver. Every explain carries
 * `maxTimeMS` (in the command, see select.ts) and a client-side deadline a little
 * later, so a server that ignores maxTimeMS, or a target that accepts connections and
 * never answers, costs at most the time limit per explain. After two explains in a
 * row ran out of time the target is taken as not answering and the rest are not sent.
 */
export interface ExplainTarget {
  readonly name: string;
  explain(db: string, command: BSON.Document): Promise<PlanOutcome>;
  close(): Promise<void>;
}

/** The client waits this much beyond maxTimeMS for the server's own MaxTimeMSExpired reply. */
export const CLIENT_GRACE_MS = 500;
/** Consecutive timeouts after which a target is declared not answering. */
const TIMEOUTS_BEFORE_GIVING_UP = 2;

export function openExplainTarget(name: string, uri: string, timeLimitMs: number): ExplainTarget {
  const client = new MongoClient(uri, {
    // Longer than the client deadline below: a target that accepts and never answers is told by that deadline.
    serverSelectionTimeoutMS: timeLimitMs + 2 * CLIENT_GRACE_MS,
    connectTimeoutMS: timeLimitMs + 2 * CLIENT_GRACE_MS,
    socketTimeoutMS: timeLimitMs + 2 * CLIENT_GRACE_MS,
    retryReads: false,
    retryWrites: false,
    maxPoolSize: 4,
    appName: 'mongo-compat-plans',
  });
  // Connecting starts now, while the caller still reads the run (the first explain waits on it anyway).
  client.connect().catch(() => undefined);
  let timeouts = 0;
  let gaveUp: string | undefined;
  // client.db() builds its options on every call: one per database name.
  const dbs = new Map<string, Db>();
  const dbOf = (name: string): Db => {
    let d = dbs.get(name);
    if (!d) dbs.set(name, (d = client.db(name)));
    return d;
  };
  return {
    name,
    async explain(db, command) {
      if (gaveUp) return { ok: false, error: { message: gaveUp, timedOut: true } };
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeLimitMs + CLIENT_GRACE_MS);
      });
      try {
        const reply = await Promise.race([dbOf(db).command(command), deadline]);
        const ms = Math.round(performance.now() - started);
        if (reply === 'timeout') {
          if (++timeouts >= TIMEOUTS_BEFORE_GIVING_UP) gaveUp = `target ${name} did not answer ${timeouts} explains in a row within ${timeLimitMs} ms`;
          return { ok: false, error: { message: `no answer within ${timeLimitMs} ms`, timedOut: true }, ms };
        }
        timeouts = 0;
        const read = readExplain(reply);
        return read.ok ? { ok: true, plan: read.plan, ms } : { ok: false, error: { message: read.message }, ms };
      } catch (err) {
        // An explain sent while the target was connecting fails with the connection once it is given up.
        if (gaveUp) return { ok: false, error: { message: gaveUp, timedOut: true }, ms: Math.round(performance.now() - started) };
        const e = err as { message?: string; code?: unknown; codeName?: unknown; name?: unknown };
        const timedOut = e.codeName === 'MaxTimeMSExpired' || e.code === 50 || e.name === 'MongoNetworkTimeoutError';
        if (timedOut) timeouts++;
        else timeouts = 0;
        return {
          ok: false,
          error: {
            message: (e.message ?? String(err)).split('\n')[0]!,
            ...(typeof e.code === 'number' ? { code: e.code } : {}),
            ...(typeof e.codeName === 'string' ? { codeName: e.codeName } : {}),
            ...(timedOut ? { timedOut } : {}),
          },
          ms: Math.round(performance.now() - started),
        };
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      // A target that never answered keeps an operation pending: do not wait on it for long.
      await Promise.race([client.close(true).catch(() => undefined), new Promise((r) => setTimeout(r, 1_000).unref())]);
    },
  };
}
