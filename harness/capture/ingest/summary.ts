import { canonicalCommandName } from '../../model/command-name.ts';
import type { NotReplayableReason, OperationRecord } from '../../model/record.ts';

/** A line, document or packet that could not be used, with where it was. */
export interface IngestIssue {
  readonly file: string;
  /** Line (logs), document index (profile) or packet index (traffic recording), from 1. */
  readonly line: number;
  readonly code: string;
  /** A short fixed word for counting issues by kind (`unknown-line-layout`, …); `code` when absent. */
  readonly reason?: string;
  readonly message: string;
}

/** Plain counters the sources bump as they go (cheap in the loop, read at the end). */
export interface IngestCounters {
  lines: number;
  records: number;
  unparseable: number;
}

export function newCounters(): IngestCounters {
  return { lines: 0, records: 0, unparseable: 0 };
}

export interface IngestSummary {
  readonly records: number;
  readonly unparseable: number;
  readonly notReplayable: Partial<Record<NotReplayableReason, number>>;
  /** Records of reason `internal` by kind (`ttl`, `session-cache`, `replication`, …). */
  readonly internal: Record<string, number>;
  readonly apps: Record<string, number>;
  readonly commands: Record<string, number>;
}

/** Tallies records as they pass; `summary()` is the figures for the CLI. */
export class Tally {
  private readonly notReplayable: Partial<Record<NotReplayableReason, number>> = {};
  private readonly internal: Record<string, number> = {};
  private readonly apps: Record<string, number> = {};
  private readonly commands: Record<string, number> = {};
  records = 0;

  add(rec: OperationRecord): void {
    this.records++;
    if (rec.notReplayable) this.notReplayable[rec.notReplayable] = (this.notReplayable[rec.notReplayable] ?? 0) + 1;
    const app = rec.app ?? '(none)';
    this.apps[app] = (this.apps[app] ?? 0) + 1;
    if (rec.notReplayable === 'internal') {
      const kind = typeof rec.stats?.internal === 'string' ? rec.stats.internal : 'other';
      this.internal[kind] = (this.internal[kind] ?? 0) + 1;
    }
    // Counted under one spelling: `findandmodify` and `findAndModify` are one command.
    const cmd = canonicalCommandName(rec.cmd);
    this.commands[cmd] = (this.commands[cmd] ?? 0) + 1;
  }

  summary(unparseable: number): IngestSummary {
    return { records: this.records, unparseable, notReplayable: this.notReplayable, internal: this.internal, apps: this.apps, commands: this.commands };
  }
}
