import { MongoClient, type BSON, type ClientSession, type Db, type ReadPreferenceLike } from 'mongodb';
import type { OutcomeError } from './outcome.ts';

/**
 * One live target during a replay: its client, a live session per recorded session,
 * and the fault policy. This is the only file of the replayer that talks to a server.
 *
 * Faults: a connection error is retried with exponential backoff (RETRY_DELAYS_MS);
 * once the retries are spent the target is marked down and every later operation on
 * it is `unavailable` at once, so a dead target costs seconds, not a timeout per op.
 * A stuck operation ends at `opTimeoutMs` (the socket timeout just above it closes
 * the connection, so the pool does not fill with hung sockets).
 */
export const RETRY_DELAYS_MS = Object.freeze([100, 300, 900]);
/** Each retry waits at most this long for a server: a dead target is declared down in ~5 s. */
const SELECTION_TIMEOUT_MS = 1_000;

/** codeName given to an operation that did not answer within --op-timeout. */
export const TIMEOUT_CODE_NAME = 'ReplayOpTimeout';

export type SendResult =
  | { readonly kind: 'ok'; readonly reply: BSON.Document; readonly sentAt: number; readonly endAt: number }
  | { readonly kind: 'error'; readonly error: OutcomeError; readonly sentAt: number; readonly endAt: number }
  | { readonly kind: 'unavailable'; readonly reason: string };

export interface LiveTargetInfo {
  readonly name: string;
  readonly role: 'baseline' | 'candidate';
  readonly uri: string;
  readonly displayUri: string;
  readonly serverVersion?: string;
  readonly product?: string;
}

export class LiveTarget {
  readonly client: MongoClient;
  replicaSet = false;
  setName?: string;
  hosts: string[] = [];
  down?: string;
  private readonly sessions = new Map<string, ClientSession>();
  /** client.db() builds options on every call (~2 % of a replay's CPU, profiled): keep one per name. */
  private readonly dbs = new Map<string, Db>();

  constructor(
    readonly info: LiveTargetInfo,
    private readonly opTimeoutMs: number,
    maxPoolSize: number,
  ) {
    this.client = new MongoClient(info.uri, {
      serverSelectionTimeoutMS: SELECTION_TIMEOUT_MS,
      connectTimeoutMS: 2_000,
      socketTimeoutMS: opTimeoutMs + 1_000,
      maxPoolSize,
      // Lets warm() open the whole pool at once (the default, 2, opens it two by two).
      maxConnecting: maxPoolSize,
      retryReads: false,
      retryWrites: false,
      appName: 'mongo-compat-replay',
    });
  }

  get name(): string {
    return this.info.name;
  }

  /** Connects and learns the topology; throws when the target does not answer. */
  async connect(): Promise<void> {
    await this.client.connect();
    const hello = await this.client.db('admin').command({ hello: 1 });
    this.setName = typeof hello.setName === 'string' ? hello.setName : undefined;
    this.replicaSet = this.setName !== undefined;
    this.hosts = [...((hello.hosts as string[] | undefined) ?? []), ...(typeof hello.me === 'string' ? [hello.me] : [])];
  }

  /**
   * Opens up to `n` pooled connections before the measured pass. The driver opens
   * connections lazily, at most `maxConnecting` (2) at a time, each with its own
   * handshake: measured on the replay bench, a cold pool put the first ~0.8 s of a
   * 2,000 ops/s recorded replay hundreds of ms behind schedule (p99 lag 300–900 ms).
   */
  async warm(n: number): Promise<void> {
    const admin = this.db('admin');
    await Promise.all(Array.from({ length: n }, () => admin.command({ ping: 1 }).catch(() => undefined)));
  }

  session(key: string | undefined): ClientSession | undefined {
    if (key === undefined) return undefined;
    let s = this.sessions.get(key);
    if (!s) {
      // No causal consistency: it would add afterClusterTime to reads the recording did not have.
      s = this.client.startSession({ causalConsistency: false });
      this.sessions.set(key, s);
    }
    return s;
  }

  async send(
    db: string,
    command: BSON.Document,
    options: { session?: ClientSession; readPreference?: BSON.Document; retry: boolean },
  ): Promise<SendResult> {
    if (this.down) return { kind: 'unavailable', reason: this.down };
    for (let attempt = 0; ; attempt++) {
      const sentAt = performance.now();
      try {
        const reply = await this.withTimeout(
          this.db(db).command(command, {
            session: options.session,
            readPreference: options.readPreference as ReadPreferenceLike | undefined,
            promoteValues: false,
            promoteLongs: false,
            promoteBuffers: false,
          }),
        );
        return { kind: 'ok', reply, sentAt, endAt: performance.now() };
      } catch (err) {
        const endAt = performance.now();
        if (err instanceof OpTimeout) {
          return { kind: 'error', error: { codeName: TIMEOUT_CODE_NAME, message: `no reply within ${this.opTimeoutMs} ms` }, sentAt, endAt };
        }
        if (isConnectionError(err)) {
          // A write may have reached the server before the connection broke: retry it only when it was never sent.
          const retryable = options.retry || isSelectionError(err);
          if (retryable && attempt < RETRY_DELAYS_MS.length) {
            await sleep(RETRY_DELAYS_MS[attempt]!);
            continue;
          }
          if (retryable) {
            this.down = `target down since ${new Date().toISOString()}: ${firstLine((err as Error).message)}`;
            return { kind: 'unavailable', reason: this.down };
          }
          return { kind: 'unavailable', reason: `connection lost during a write: ${firstLine((err as Error).message)}` };
        }
        return { kind: 'error', error: errorOf(err), sentAt, endAt };
      }
    }
  }

  private db(name: string): Db {
    let d = this.dbs.get(name);
    if (!d) this.dbs.set(name, (d = this.client.db(name)));
    return d;
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) await s.endSession().catch(() => undefined);
    this.sessions.clear();
    await this.client.close(true).catch(() => undefined);
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new OpTimeout()), this.opTimeoutMs);
    });
    p.catch(() => undefined); // the loser of the race must not become an unhandled rejection
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }
}

class OpTimeout extends Error {}

function errorOf(err: unknown): OutcomeError {
  const e = err as { code?: unknown; codeName?: unknown; errmsg?: unknown; message?: unknown };
  return {
    ...(typeof e.code === 'number' ? { code: e.code } : {}),
    ...(typeof e.codeName === 'string' ? { codeName: e.codeName } : {}),
    message: typeof e.errmsg === 'string' ? e.errmsg : String(e.message ?? err),
  };
}

function isConnectionError(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name ?? '';
  return /MongoNetwork|MongoServerSelection|MongoTopologyClosed|MongoPoolClosed|MongoNotConnected/.test(name);
}

function isSelectionError(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'MongoServerSelectionError';
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 200);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
