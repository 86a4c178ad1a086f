import { NO_APP } from '../compare/compare.ts';
import type { OperationOutcome } from '../model/run/outcome.ts';
import type { ErrorRow } from './schema.ts';

const SEQS_KEPT = 10;

/** Errors per app × target × command × shape × code, with the first seqs as evidence. Bounded by distinct keys. */
export class ErrorTable {
  private readonly rowsByKey = new Map<string, { app: string; row: Omit<ErrorRow, 'seqs' | 'count'> & { count: number; seqs: number[] } }>();

  add(o: OperationOutcome): void {
    for (const [target, side] of Object.entries(o.targets)) {
      if (side.status !== 'error') continue;
      const e = side.error ?? {};
      const key = `${o.app ?? NO_APP}\u0000${target}\u0000${o.cmd}\u0000${o.shape}\u0000${e.code ?? ''}\u0000${e.codeName ?? ''}`;
      let r = this.rowsByKey.get(key);
      if (!r) {
        r = { app: o.app ?? NO_APP, row: { target, cmd: o.cmd, shape: o.shape, code: e.code ?? null, codeName: e.codeName ?? '', message: (e.message ?? '').slice(0, 300), count: 0, seqs: [] } };
        this.rowsByKey.set(key, r);
      }
      r.row.count++;
      if (r.row.seqs.length < SEQS_KEPT) r.row.seqs.push(o.seq);
    }
  }

  /** By app, most frequent first. */
  rows(): Map<string, ErrorRow[]> {
    const out = new Map<string, ErrorRow[]>();
    for (const { app, row } of this.rowsByKey.values()) {
      let list = out.get(app);
      if (!list) out.set(app, (list = []));
      list.push(row);
    }
    for (const list of out.values()) list.sort((a, b) => b.count - a.count || a.target.localeCompare(b.target));
    return out;
  }
}
