/**
 * The fields each command accepts from 5.0 on, where 5.0 started refusing unknown ones
 * with 40415 IDLUnknownField (5.0 compatibility changes, "Stricter validation of
 * command parameters"). Read from the 5.0 IDL files of mongodb/mongo
 * (`generic_argument.idl`, `write_ops.idl`, `find_and_modify.idl`,
 * `create_indexes.idl`, `list_collections.idl`, `list_databases.idl`,
 * `list_indexes.idl`, `kill_cursors.idl`, `hello.idl`, `create.idl`,
 * `drop.idl`, `drop_indexes.idl`, `drop_database.idl`, `transactions.idl`) and the
 * commands' manual pages.
 *
 * `find`, `aggregate` and `getMore` are left out: they refused unknown fields before
 * 5.0 already, so a capture taken on 4.2 cannot hold an accepted unknown field for them.
 * `collMod` and `explain` are left out for their long, version-dependent option lists.
 * Fields starting with `$_` or `_` are internal and never judged.
 */
const GENERIC = [
  '$db',
  'lsid',
  'txnNumber',
  'autocommit',
  'startTransaction',
  'stmtId',
  'stmtIds',
  '$clusterTime',
  '$readPreference',
  'readConcern',
  'writeConcern',
  'maxTimeMS',
  'comment',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  '$audit',
  '$client',
  '$configServerState',
  '$configTime',
  '$topologyTime',
  '$replData',
  '$oplogQueryData',
  '$gleStats',
  '$queryOptions',
  'allowImplicitCollectionCreation',
  'clientOperationKey',
  'databaseVersion',
  'shardVersion',
  'help',
  'maxTimeMSOpOnly',
  'tracking_info',
  '$traceCtx',
  'mayBypassWriteBlocking',
  'readPreference',
];

const WRITE_BASE = ['ordered', 'bypassDocumentValidation', 'let', 'runtimeConstants', 'legacyRuntimeConstants', 'isTimeseriesNamespace', 'collectionUUID', 'encryptionInformation'];

const BY_COMMAND: Readonly<Record<string, readonly string[]>> = {
  insert: ['documents', ...WRITE_BASE],
  update: ['updates', ...WRITE_BASE],
  delete: ['deletes', ...WRITE_BASE],
  findAndModify: ['query', 'sort', 'remove', 'update', 'new', 'fields', 'upsert', 'bypassDocumentValidation', 'collation', 'arrayFilters', 'hint', 'let', 'runtimeConstants', 'legacyRuntimeConstants', 'encryptionInformation', 'isTimeseriesNamespace', 'collectionUUID'],
  createIndexes: ['indexes', 'commitQuorum', 'ignoreUnknownIndexOptions', 'isTimeseriesNamespace', 'collectionUUID', 'v', 'returnOnStart'],
  drop: ['collectionUUID'],
  dropDatabase: [],
  dropIndexes: ['index', 'collectionUUID', 'isTimeseriesNamespace'],
  listCollections: ['filter', 'nameOnly', 'authorizedCollections', 'cursor', 'includePendingDrops'],
  listDatabases: ['filter', 'nameOnly', 'authorizedDatabases'],
  listIndexes: ['cursor', 'includeBuildUUIDs', 'includeIndexBuildInfo', 'collectionUUID', 'isTimeseriesNamespace'],
  killCursors: ['cursors'],
  ping: [],
  hello: ['helloOk', 'client', 'compression', 'saslSupportedMechs', 'speculativeAuthenticate', 'loadBalanced', 'topologyVersion', 'maxAwaitTimeMS', 'internalClient', 'hangUpOnStepDown', 'forShell'],
  create: ['capped', 'autoIndexId', 'idIndex', 'size', 'max', 'storageEngine', 'validator', 'validationLevel', 'validationAction', 'indexOptionDefaults', 'viewOn', 'pipeline', 'collation', 'timeseries', 'expireAfterSeconds', 'clusteredIndex', 'changeStreamPreAndPostImages', 'recordPreImages', 'encryptedFields', 'flags', 'temp'],
  commitTransaction: ['recoveryToken', 'commitTimestamp'],
  abortTransaction: ['recoveryToken'],
};

const TABLE: ReadonlyMap<string, ReadonlySet<string>> = new Map(Object.entries(BY_COMMAND).map(([cmd, fields]) => [cmd, new Set([...GENERIC, ...fields])]));

/** The fields of a command body 5.0 does not know, after the command name itself; undefined when lint has no table for the command. */
export function unknownFields(command: string, body: Readonly<Record<string, unknown>>): string[] | undefined {
  const known = TABLE.get(command);
  if (!known) return undefined;
  const keys = Object.keys(body);
  const out: string[] = [];
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    if (k.startsWith('$_') || k.startsWith('_')) continue;
    if (!known.has(k)) out.push(k);
  }
  return out;
}
