/**
 * What a replay with writes checked before its first write (run.json `identityCheck`):
 * each target, and the capture's source when reachable, proved a server of its own, by
 * the identities the servers expose and by a canary document (harness/replay/identity.ts).
 */
export type IdentityRole = 'source' | 'baseline' | 'candidate';

/** One server's identity, as far as it exposes one. */
export interface ServerIdentity {
  /** hello.topologyVersion.processId as hex. */
  readonly processId?: string;
  /** serverStatus.host and .pid. */
  readonly host?: string;
  readonly pid?: number;
  /** Process start, ms since the epoch, from serverStatus localTime − uptimeMillis. */
  readonly startedAtMs?: number;
  readonly setName?: string;
  /** hello.hosts, passives, arbiters and me, normalised. */
  readonly members: readonly string[];
}

/** A pair found to be one server. */
export interface IdentityMatch {
  readonly a: string;
  readonly b: string;
  readonly aDisplay: string;
  readonly bDisplay: string;
  readonly aRole: IdentityRole;
  readonly bRole: IdentityRole;
  /** What proved it: the canary, or the identity that matched. */
  readonly by: string;
}

/** What was checked, as recorded in run.json (`identityCheck`). */
export interface IdentityCheckRecord {
  /** Canaries were written (only with writes allowed). */
  readonly canary: boolean;
  readonly endpoints: readonly {
    readonly name: string;
    readonly role: IdentityRole;
    readonly uri: string;
    /** Why this endpoint took no part (the source unreachable, …). */
    readonly unchecked?: string;
    readonly identity?: Omit<ServerIdentity, 'members'> & { readonly members?: readonly string[] };
    /** written / seen-by / not written (reason). */
    readonly canaryNote?: string;
  }[];
  /** Pairs of endpoints compared. */
  readonly pairs: number;
  readonly matches: readonly IdentityMatch[];
  /** Canary collections left behind because removing them failed. */
  readonly leftovers: readonly string[];
}
