import { existsSync } from 'node:fs';
import { FERRETDB_DEFAULT_VERSION, ferretDbBinaryPath, findGo, normaliseFerretDbVersion } from './ferretdb-build.ts';
import { startFerretDb } from './ferretdb.ts';
import { findPgBinaries, pgNotFoundLine, pgServerVersion, startPostgres, type PostgresInstance } from './postgres.ts';
import type { Availability, RunningTarget, StartOptions, TargetProvider, TargetSpec } from './types.ts';
import { withTimeout } from './with-timeout.ts';

/**
 * FerretDB's PostgreSQL connection pool. Its default, 50, deadlocks under contention:
 * FerretDB 1.24's findAndModify holds one pooled connection for its query while it
 * takes another for the update, so with 50 or more concurrent findAndModify every
 * connection can be held by a query waiting for a second one (measured here: 64
 * workers, zero operations completed, PostgreSQL idle). Twice the largest sweep's
 * workers keeps the bench clear of it.
 */
export const FERRETDB_PG_POOL = 256;

export interface FerretDbPgInstance extends RunningTarget {
  /** FerretDB's pid. */
  readonly pid: number;
  readonly port: number;
  /** FerretDB's state directory. */
  readonly dataDir: string;
  readonly postgres: Pick<PostgresInstance, 'pid' | 'port' | 'dir' | 'version'>;
}

/**
 * FerretDB with its PostgreSQL backend: the same cached FerretDB build as the `ferretdb`
 * kind, started with `--handler=postgresql` over a PostgreSQL it starts itself. A second
 * real engine beside SQLite: row locking, MVCC, and real plans (Seq Scan, Index Scan).
 */
export const ferretDbPgProvider: TargetProvider = {
  kind: 'ferretdb-pg',
  async probe(): Promise<Availability> {
    const versions = [FERRETDB_DEFAULT_VERSION];
    const bins = findPgBinaries();
    if (!bins.dir) return { kind: 'ferretdb-pg', usable: false, detail: pgNotFoundLine(bins.looked), versions };
    const pgVersion = (await withTimeout(pgServerVersion(bins.dir), 5_000, () => undefined)) ?? 'unknown version';
    const pg = `PostgreSQL ${pgVersion} at ${bins.dir}`;
    if (existsSync(ferretDbBinaryPath())) {
      return { kind: 'ferretdb-pg', usable: true, detail: `FerretDB built at ${ferretDbBinaryPath()} over ${pg}`, versions };
    }
    const go = await findGo();
    if (go) {
      return { kind: 'ferretdb-pg', usable: true, detail: `${pg}; FerretDB not built yet, first use builds it with ${go}`, versions };
    }
    return { kind: 'ferretdb-pg', usable: false, detail: `${pg}, but FerretDB is not built and no Go toolchain is on PATH`, versions };
  },
  start: (spec, options) => startFerretDbPg(spec, options),
};

export async function startFerretDbPg(
  spec: Pick<TargetSpec, 'name' | 'version' | 'replicaSet'>,
  options: StartOptions = {},
): Promise<FerretDbPgInstance> {
  normaliseFerretDbVersion(spec.version); // a bad version fails before PostgreSQL is started
  const pg = await startPostgres({ readyTimeoutMs: Math.max(options.readyTimeoutMs ?? 0, 30_000), log: options.log });
  try {
    const ferret = await startFerretDb(
      {
        ...spec,
        // The last --handler wins in FerretDB's flag parser; the SQLite flags it keeps are inert.
        extraArgs: ['--handler=postgresql', `--postgresql-url=${pg.url}?pool_max_conns=${FERRETDB_PG_POOL}`],
      },
      options,
    );
    let stopping: Promise<void> | undefined;
    return {
      ...ferret,
      kind: 'ferretdb-pg',
      product: `${ferret.product} on PostgreSQL ${pg.version}`,
      postgres: { pid: pg.pid, port: pg.port, dir: pg.dir, version: pg.version },
      // FerretDB first: PostgreSQL's fast shutdown then has no client to wait for.
      stop: () =>
        (stopping ??= (async () => {
          try {
            await ferret.stop();
          } finally {
            await pg.stop();
          }
        })()),
    };
  } catch (err) {
    await pg.stop();
    throw err;
  }
}
