import type { CommandFailedEvent, CommandStartedEvent, CommandSucceededEvent, Document, MongoClient } from 'mongodb';
import type { OperationRecord, RecordSink } from '../../harness/model/record.ts';

/**
 * Records a client's commands from the driver's command monitoring, for runs without
 * the proxy: one record per command with its reply or error. Less faithful than the
 * proxy (the driver hands replies over already decoded, so an Int32 and a whole Double
 * look alike, and handshakes are not monitored); `--through-proxy` records the bytes.
 */
const HIDDEN = new Set(['hello', 'ismaster', 'saslstart', 'saslcontinue', 'authenticate', 'getnonce']);

export class DriverRecorder {
  private seq = 0;
  private clientSeq = 0;
  /** Records written (dropped ones are the sink's count). */
  recorded = 0;
  private readonly open = new Map<string, Omit<OperationRecord, 'dur' | 'reply' | 'error'>>();

  constructor(
    private readonly sink: RecordSink,
    private readonly clock: () => number = () => Math.round((performance.timeOrigin + performance.now()) * 1000),
  ) {}

  /** Records this client's commands under `app`; clients are told apart in connection ids. */
  attach(client: MongoClient, app: string): void {
    const c = ++this.clientSeq;
    client.on('commandStarted', (e) => this.started(c, app, e));
    client.on('commandSucceeded', (e) => this.finished(c, e, e.reply as Document, undefined));
    client.on('commandFailed', (e) => this.finished(c, e, undefined, e.failure));
  }

  private started(c: number, app: string, e: CommandStartedEvent): void {
    if (HIDDEN.has(e.commandName.toLowerCase())) return;
    const command = e.command;
    const target = command[e.commandName];
    const coll = typeof target === 'string' && target.length > 0 ? target : typeof command.collection === 'string' ? (command.collection as string) : undefined;
    const t = this.clock();
    this.open.set(`${c}:${e.requestId}`, { seq: 0, t, conn: `d${c}:${String(e.connectionId ?? 0)}`, app, db: e.databaseName, ...(coll ? { coll } : {}), cmd: e.commandName, op: 'OP_MSG', command, wire: { requestId: e.requestId } });
  }

  private finished(c: number, e: CommandSucceededEvent | CommandFailedEvent, reply: Document | undefined, failure: Error | undefined): void {
    const key = `${c}:${e.requestId}`;
    const o = this.open.get(key);
    if (!o) return;
    this.open.delete(key);
    const f = failure as (Error & { code?: number; codeName?: string }) | undefined;
    const rec: OperationRecord = {
      ...o,
      seq: this.seq++,
      dur: Math.max(0, Math.round(e.duration * 1000)),
      ...(reply ? { reply: { mode: 'full' as const, doc: reply } } : {}),
      ...(f ? { error: { ...(typeof f.code === 'number' ? { code: f.code } : {}), ...(f.codeName ? { codeName: f.codeName } : {}), message: f.message } } : {}),
    };
    if (this.sink.write(rec)) this.recorded++;
  }
}
