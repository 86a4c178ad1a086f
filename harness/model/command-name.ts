/**
 * Command names, matched the way the server matches them. The server looks commands up
 * case-insensitively for a few legacy spellings (`findandmodify`, `ismaster`,
 * `buildinfo`: MongoDB manual, "findAndModify", "isMaster", "buildInfo"), and logs,
 * profiler entries and old drivers carry whichever spelling the client sent. Every
 * stage that classifies, counts or shapes commands goes through `canonicalCommandName`
 * (or `commandKey` for set lookups); the record keeps the spelling as sent, which is
 * what replay sends again.
 */
const CANONICAL = Object.freeze([
  'abortTransaction',
  'aggregate',
  'authenticate',
  'buildInfo',
  'bulkWrite',
  'collMod',
  'collStats',
  'commitTransaction',
  'connectionStatus',
  'copydb',
  'copydbgetnonce',
  'copydbSaslStart',
  'count',
  'create',
  'createIndexes',
  'createRole',
  'createUser',
  'currentOp',
  'dataSize',
  'dbHash',
  'dbStats',
  'delete',
  'distinct',
  'drop',
  'dropAllRolesFromDatabase',
  'dropAllUsersFromDatabase',
  'dropDatabase',
  'dropIndexes',
  'dropRole',
  'dropUser',
  'endSessions',
  'explain',
  'find',
  'findAndModify',
  'geoNear',
  'geoSearch',
  'getCmdLineOpts',
  'getLastError',
  'getLog',
  'getMore',
  'getnonce',
  'getParameter',
  'getPrevError',
  'grantRolesToRole',
  'grantRolesToUser',
  'hello',
  'hostInfo',
  'insert',
  'isMaster',
  'killAllSessions',
  'killCursors',
  'killSessions',
  'listCollections',
  'listDatabases',
  'listIndexes',
  'logout',
  'mapReduce',
  'ping',
  'reIndex',
  'refreshSessions',
  'renameCollection',
  'replSetGetStatus',
  'resetError',
  'revokeRolesFromUser',
  'rolesInfo',
  'saslContinue',
  'saslStart',
  'serverStatus',
  'setParameter',
  'startSession',
  'update',
  'updateRole',
  'updateUser',
  'usersInfo',
  'validate',
  'whatsmyuri',
] as const);

const BY_KEY: ReadonlyMap<string, string> = new Map(CANONICAL.map((n) => [n.toLowerCase(), n]));

/** The lookup key of a command name: what sets of names are keyed by. */
export function commandKey(name: string): string {
  return name.toLowerCase();
}

/** `findandmodify` → `findAndModify`; a name we do not know is returned as given. */
export function canonicalCommandName(name: string): string {
  return BY_KEY.get(name.toLowerCase()) ?? name;
}

/**
 * Commands whose request carries or changes a credential, or whose replay would need
 * the source's users: the manual's "Authentication Commands" (authenticate, getnonce,
 * logout, saslStart/saslContinue, and copydb's own getnonce/SASL steps) and the
 * "User Management Commands" that write users. They are never replayed, from any
 * source: a log shows `pwd: "xxx"` (the server's redaction, `redactForLogging`), and
 * a replay would create that user with the password "xxx".
 */
const CREDENTIAL_KEYS: ReadonlySet<string> = new Set(
  [
    'authenticate',
    'getnonce',
    'logout',
    'saslStart',
    'saslContinue',
    'copydbgetnonce',
    'copydbSaslStart',
    'createUser',
    'updateUser',
    'dropUser',
    'dropAllUsersFromDatabase',
    'grantRolesToUser',
    'revokeRolesFromUser',
  ].map(commandKey),
);

export function isCredentialCommand(name: string): boolean {
  return CREDENTIAL_KEYS.has(commandKey(name));
}
