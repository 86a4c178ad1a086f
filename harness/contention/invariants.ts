/**
 * Correctness under contention, checked from what the workers recorded and what the
 * server holds at the end. Pure: records in, violations out. A violation fails the
 * benchmark loudly: a fast server that hands one job to two workers is broken.
 */
export type ViolationKind =
  | 'job-claimed-twice'
  | 'job-claimed-without-record'
  | 'job-owner-mismatch'
  | 'job-completion-lost'
  | 'lock-two-holders'
  | 'lock-release-lost'
  | 'counter-lost-update';

export interface Violation {
  readonly kind: ViolationKind;
  readonly detail: string;
}

export interface InvariantReport {
  readonly checked: readonly string[];
  readonly violations: number;
  /** Up to MAX_EXAMPLES violations, for the report. */
  readonly examples: readonly Violation[];
}

export const MAX_EXAMPLES = 20;

export interface Claim {
  readonly jobId: string;
  readonly worker: number;
}

export interface FinalJob {
  readonly jobId: string;
  readonly status: string;
  readonly worker: number | undefined;
}

/** Every job claimed exactly once, and the server agrees who claimed it. */
export function checkQueue(claims: readonly Claim[], finalJobs: readonly FinalJob[], workerIssues: readonly Violation[] = []): Violation[] {
  const out: Violation[] = [...workerIssues];
  const byJob = new Map<string, number[]>();
  for (const c of claims) {
    const list = byJob.get(c.jobId);
    if (list) list.push(c.worker);
    else byJob.set(c.jobId, [c.worker]);
  }
  for (const [jobId, workers] of byJob) {
    if (workers.length > 1) out.push({ kind: 'job-claimed-twice', detail: `job ${jobId} claimed ${workers.length} times, by workers ${workers.join(', ')}` });
  }
  for (const job of finalJobs) {
    if (job.status === 'pending') continue;
    const workers = byJob.get(job.jobId);
    if (!workers) out.push({ kind: 'job-claimed-without-record', detail: `job ${job.jobId} is ${job.status} on the server but no worker recorded claiming it` });
    else if (workers.length === 1 && workers[0] !== job.worker) {
      out.push({ kind: 'job-owner-mismatch', detail: `job ${job.jobId} was claimed by worker ${workers[0]} but the server names worker ${String(job.worker)}` });
    }
  }
  return out;
}

/** A span during which a worker certainly held a lock: from its acquire reply to its release request. */
export interface Hold {
  readonly lock: string;
  readonly worker: number;
  readonly from: number;
  readonly to: number;
}

/** At most one holder per lock at any instant (spans from one process clock). */
export function checkLocks(holds: readonly Hold[], workerIssues: readonly Violation[] = []): Violation[] {
  const out: Violation[] = [...workerIssues];
  const byLock = new Map<string, Hold[]>();
  for (const h of holds) {
    const list = byLock.get(h.lock);
    if (list) list.push(h);
    else byLock.set(h.lock, [h]);
  }
  for (const [lock, list] of byLock) {
    list.sort((a, b) => a.from - b.from);
    let open = list[0]!;
    for (let i = 1; i < list.length; i++) {
      const h = list[i]!;
      // Strict overlap: both spans are certain holding times, so touching ends are fine.
      if (h.from < open.to) {
        out.push({ kind: 'lock-two-holders', detail: `lock ${lock} held by workers ${open.worker} and ${h.worker} at once (${(open.to - h.from).toFixed(3)} ms overlap)` });
      }
      if (h.to > open.to) open = h;
    }
  }
  return out;
}

/** The hot counters hold exactly the increments the server acknowledged. */
export function checkCounters(acknowledged: number, stored: number): Violation[] {
  return acknowledged === stored ? [] : [{ kind: 'counter-lost-update', detail: `workers got ${acknowledged} acknowledged increments but the counters sum to ${stored}` }];
}

export function invariantReport(checked: readonly string[], violations: readonly Violation[]): InvariantReport {
  return { checked, violations: violations.length, examples: violations.slice(0, MAX_EXAMPLES) };
}
