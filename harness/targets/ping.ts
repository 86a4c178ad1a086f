import { MongoClient } from 'mongodb';
import { TargetUnreachableError } from '../errors.ts';
import { redactUri } from './redact.ts';

export interface PingResult {
  /** `buildInfo.version`: the MongoDB version the server claims. */
  readonly serverVersion: string;
  /** What actually answers, e.g. `MongoDB 4.4.29` or `FerretDB v1.24.2 (reports 7.0.42)`. */
  readonly product: string;
}

/**
 * Connects, runs `ping` and `buildInfo`, disconnects. Fails with one line naming
 * the redacted URI when the server does not answer within `timeoutMs`.
 */
export async function pingServer(uri: string, timeoutMs: number): Promise<PingResult> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs,
    maxPoolSize: 1,
    monitorCommands: false,
  });
  try {
    await client.connect();
    const admin = client.db('admin');
    await admin.command({ ping: 1 });
    const info = await admin.command({ buildInfo: 1 });
    const serverVersion = typeof info.version === 'string' ? info.version : 'unknown';
    const product =
      typeof info.ferretdbVersion === 'string'
        ? `FerretDB ${info.ferretdbVersion} (reports ${serverVersion})`
        : `MongoDB ${serverVersion}`;
    return { serverVersion, product };
  } catch (err) {
    throw new TargetUnreachableError(
      `${redactUri(uri)} did not answer ping within ${formatMs(timeoutMs)}: ${causeLine(err)}`,
      { cause: err },
    );
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Retries `pingServer` until it succeeds or `timeoutMs` is spent (for servers we just started). */
export async function waitForPing(
  uri: string,
  timeoutMs: number,
  isAlive: () => string | undefined = () => undefined,
): Promise<PingResult> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const dead = isAlive();
    if (dead) throw new TargetUnreachableError(dead);
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      return await pingServer(uri, Math.min(1_000, left));
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new TargetUnreachableError(
    `${redactUri(uri)} did not answer ping within ${formatMs(timeoutMs)}: ${causeLine((last as Error)?.cause ?? last)}`,
    { cause: last },
  );
}

function causeLine(err: unknown): string {
  const e = err as { cause?: { message?: string }; message?: string } | undefined;
  const msg = e?.message ?? String(err);
  const inner = e?.cause?.message;
  const text = inner && !msg.includes(inner) ? `${msg} (${inner})` : msg;
  return text.split('\n')[0]!;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
