import * as m from '../match.ts';
import type { Rule } from '../types.ts';
import { bsonType, isDoc, numberOf } from '../view.ts';
import { unknownFields } from './known-fields.ts';

/**
 * Changes between 4.4 and 5.0. Source: the 5.0 compatibility page
 * (https://www.mongodb.com/docs/manual/release-notes/5.0-compatibility/, in mongodb/docs
 * `content/manual/manual/source/release-notes/5.0-compatibility.txt`) and
 * `includes/5.0-default-wc.rst`.
 */
const D50 = '5.0 compatibility changes';

const REMOVED_50 = new Set(['geosearch', 'reseterror', 'shardconnpoolstats', 'unsetsharding']);
const NOT_MASTER = new Set([10107, 13435, 13436]);
const TWO_63 = 2 ** 63;

/** A double or decimal of 2^63 or more (a Long never is, however it rounds as a double). */
function beyondInt64(v: unknown): boolean {
  return bsonType(v) !== 'Long' && typeof v !== 'bigint' && (numberOf(v) ?? 0) >= TWO_63;
}

export const RULES_5_0: readonly Rule[] = Object.freeze([
  {
    id: 'unknown-command-field',
    step: '5.0',
    since: '5.0',
    concerns: 'unknown top-level fields of insert, update, delete, findAndModify, createIndexes, drop*, list*, killCursors, ping, hello, create, transaction commands',
    rows: [26, 27],
    match: (op) => (unknownFields(op.name, op.body)?.length ?? 0) > 0,
    before: '4.4 silently ignores unknown parameters of these commands.',
    after: '5.0 refuses them.',
    symptom: { expect: 'new-error', code: 40415, codeName: 'Location40415', text: '"BSON field \'insert.foo\' is an unknown field."' },
    severity: 'high',
    source: `${D50}: "Stricter Validation of Command Parameters"; jstests/core/ddl/create_indexes.js`,
    look: 'a new-error group for the shape with code 40415; the unknown field is in the shape text',
  },
  {
    id: 'createindexes-weights-non-text',
    step: '5.0',
    since: '5.0',
    concerns: 'createIndexes with weights on an index that is not a text index',
    rows: [27],
    match: (op) =>
      op.name === 'createIndexes' &&
      Array.isArray(op.get('indexes')) &&
      (op.get('indexes') as unknown[]).some((i) => isDoc(i) && i.weights !== undefined && !(isDoc(i.key) && Object.values(i.key).includes('text'))),
    before: '4.4 accepts (and ignores) weights on a non-text index.',
    after: '5.0 allows weights on text indexes only.',
    symptom: { expect: 'new-error', code: 197, codeName: 'InvalidIndexSpecificationOption', text: 'the index build is refused' },
    severity: 'high',
    source: `${D50}: "createIndexes" option validation`,
    look: 'a new-error group for the createIndexes',
  },
  {
    id: 'update-empty-operator',
    step: '5.0',
    since: '5.0',
    concerns: 'update operator with an empty operand ({$set: {}})',
    rows: [28],
    match: (op) => m.updateDocuments(op).some((u) => isDoc(u) && Object.keys(u).some((k) => k.startsWith('$') && isDoc(u[k]) && Object.keys(u[k]).length === 0)),
    before: '4.4 fails with 9 FailedToParse "\'$set\' is empty. You must specify a field like so: {$set: {<field>: ...}}".',
    after: '5.0 accepts it as a no-op: nModified 0, no oplog entry.',
    symptom: { expect: 'fixed-error', code: 9, codeName: 'FailedToParse', text: 'the write error disappears' },
    severity: 'medium',
    source: `${D50}: "Empty update operators"; $set manual page ("Starting in MongoDB 5.0, mongod no longer raises an error…"); SERVER-13930 for the old message`,
    look: 'a fixed-error group for the shape',
  },
  {
    id: 'removed-commands-5.0',
    step: '5.0',
    since: '5.0',
    concerns: 'geoSearch, resetError, shardConnPoolStats, unsetSharding; geoHaystack indexes',
    rows: [29],
    match: (op) =>
      REMOVED_50.has(op.name.toLowerCase()) ||
      (op.name === 'createIndexes' && Array.isArray(op.get('indexes')) && (op.get('indexes') as unknown[]).some((i) => isDoc(i) && isDoc(i.key) && Object.values(i.key).includes('geoHaystack'))),
    before: '4.4 runs these commands and builds geoHaystack indexes.',
    after: '5.0 removed them; geoHaystack indexes are gone at fCV 5.0.',
    symptom: { expect: 'new-error', code: 59, codeName: 'CommandNotFound', text: '"no such command" (or an index build error for geoHaystack)' },
    severity: 'high',
    tokens: /\b(?:geoSearch|resetError|shardConnPoolStats|unsetSharding|geoHaystack)\b/,
    source: `${D50}: "Removed Commands", "geoHaystack Index"`,
    look: 'a new-error group for the command',
  },
  {
    id: 'implicit-majority-write-concern',
    step: '5.0',
    since: '5.0',
    concerns: 'writes without a writeConcern (replica sets)',
    rows: [30],
    match: (op) => m.isWrite(op) && op.get('writeConcern') === undefined && !m.inTransaction(op),
    before: '4.4 acknowledges such writes at w: 1.',
    after: '5.0 uses the implicit default w: "majority" (w: 1 with arbiters making data-bearing voters no majority).',
    symptom: { expect: 'latency', text: 'writes wait for a majority: higher latency, wtimeout errors when a secondary lags' },
    severity: 'medium',
    source: `${D50}: "Default Write Concern"; includes/5.0-default-wc.rst`,
    look: 'latency of the write shapes on a replica-set candidate',
  },
  {
    id: 'listdatabases-size-types',
    step: '5.0',
    since: '5.0',
    concerns: 'listDatabases reply',
    rows: [32],
    match: (op) => op.name === 'listDatabases',
    before: '4.4 reports sizeOnDisk and totalSize as doubles.',
    after: '5.0 reports them as 64-bit integers and adds totalSizeMb.',
    symptom: { expect: 'numeric-type-only', text: 'double → int64 for sizeOnDisk/totalSize; totalSizeMb added' },
    severity: 'low',
    source: `${D50}: "listDatabases Output Changes"`,
    look: 'numeric-type-only and result-differs (totalSizeMb) groups for listDatabases',
  },
  {
    id: 'subtract-result-type',
    step: '5.0',
    since: '5.0',
    concerns: '$subtract expression',
    rows: [33],
    match: (op) => op.operators.has('$subtract'),
    before: '4.4 keeps the old result type of $subtract on mixed numeric types.',
    after: '5.0 converts the result type when needed to represent it exactly (also 4.4.3 and 4.2.12: patch level matters).',
    symptom: { expect: 'numeric-type-only', text: 'the numeric type of the $subtract result may change' },
    severity: 'low',
    source: `${D50}: "$subtract"`,
    look: 'numeric-type-only groups at the computed field',
  },
  {
    id: 'pipeline-limits',
    step: '5.0',
    since: '5.0',
    concerns: 'pipelines of more than 1000 stages; $limit beyond 2^63 − 1',
    rows: [34],
    match: (op) => (op.pipeline?.length ?? 0) > 1000 || m.valuesOf(op, '$limit').some(beyondInt64),
    before: '4.4 accepts them.',
    after: '5.0 refuses pipelines over 1000 stages and $sort/$limit values beyond 2^63 − 1.',
    symptom: { expect: 'new-error', text: 'the aggregation fails' },
    severity: 'high',
    source: `${D50}: "Aggregation pipeline limit", "$sort and $limit"`,
    look: 'a new-error group for the shape',
  },
  {
    id: 'not-master-renamed',
    step: '5.0',
    since: '5.0',
    concerns: 'NotMaster errors (10107, 13435, 13436) the application saw',
    rows: [35],
    match: (op) => NOT_MASTER.has(m.errorCode(op) ?? -1) || /NotMaster|not master/.test(m.errorText(op)),
    before: '4.4 names them NotMaster, NotMasterNoSlaveOk, NotMasterOrSecondary ("not master").',
    after: '5.0 names them NotWritablePrimary, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary ("not primary"); codes unchanged.',
    symptom: { expect: 'error-differs', code: 10107, codeName: 'NotWritablePrimary', text: 'codeName and message change; matching on the text breaks' },
    severity: 'medium',
    tokens: /\bNotMaster(?:NoSlaveOk|OrSecondary)?\b|["']not master/,
    source: 'SERVER-50509, SERVER-53033',
    look: 'the error table: same code, new codeName',
  },
  {
    id: 'legacy-hello-only',
    step: '5.0',
    since: '5.0',
    concerns: 'isMaster handshakes from an app that never sends hello',
    rows: [23, 36],
    match: (op) => op.name === 'isMaster',
    confirm: (f) => !f.appCommands.has('hello'),
    before: 'The app only knows legacy isMaster (reply field ismaster); its driver predates the hello command.',
    after: 'Servers keep answering isMaster, but new reply fields (topologyVersion, isWritablePrimary through hello) and renamed errors reach a driver that may not know them.',
    symptom: { expect: 'server-differences', text: 'handshake replies differ (topologyVersion from 4.4); drivers this old often use legacy opcodes too' },
    severity: 'info',
    tokens: /\bis[mM]aster\b/,
    source: 'hello manual page ("New in 5.0 (and 4.4.2, 4.2.10, 4.0.21, 3.6.21)"); specifications server-monitoring.md',
    look: 'the Server differences section; check the driver version against the server compatibility table',
  },
  {
    id: 'legacy-opcode-deprecated',
    step: '5.0',
    since: '5.0',
    concerns: 'any legacy opcode other than the OP_QUERY handshake',
    rows: [37],
    match: (op) => isLegacyOpcode(op.opcode) && !(op.opcode === 'OP_QUERY' && HANDSHAKE.has(op.name.toLowerCase())),
    before: '4.4 serves legacy opcodes silently.',
    after: '5.0 still serves them and logs a deprecation warning; 5.1 removes them (see the 6.0 rules).',
    symptom: { expect: 'log-only', text: 'deprecation warnings in the server log' },
    severity: 'low',
    source: `${D50}: "Deprecated Wire Protocol Opcodes"; mongodb-wire-protocol page`,
    look: 'the server log; upgrade the driver before 6.0',
  },
  {
    id: 'system-collection-writes',
    step: '5.0',
    since: '5.0',
    concerns: 'writes to <db>.system.views or local.oplog.rs; reIndex',
    rows: [38],
    match: (op) =>
      op.name.toLowerCase() === 'reindex' || (m.isWrite(op) && (op.record.coll === 'system.views' || (op.record.db === 'local' && op.record.coll === 'oplog.rs'))),
    before: '4.4 allows direct writes to system.views and the oplog, and reIndex on replica-set members.',
    after: '5.0 refuses them.',
    symptom: { expect: 'new-error', text: 'the write (or reIndex on a replica-set member) fails' },
    severity: 'high',
    tokens: /system\.views|oplog\.rs|\breIndex\b/,
    source: `${D50}: "Removed the ability to write directly to system.views / the oplog"; "reIndex"`,
    look: 'a new-error group for the shape',
  },
  {
    id: 'findandmodify-conflict-log-flood',
    step: '5.0',
    since: '5.0',
    concerns: 'sorted findAndModify claimed from several connections (a job queue)',
    rows: [39],
    match: (op) => op.name === 'findAndModify' && op.sort !== undefined && Object.keys(op.sort).length > 0 && op.get('remove') !== true,
    confirm: (f) => f.connections >= 2,
    before: '4.4 logs findAndModify write-conflict retries at debug level.',
    after: '5.0.0–5.0.18 log every retry as warning 23802 with plan statistics (log flood, CPU), until 5.0.19 / 6.0.7 / 7.0.0.',
    symptom: { expect: 'latency', text: 'CPU and log volume under contention; warning id 23802 "Plan executor error during findAndModify"' },
    severity: 'info',
    source: 'SERVER-74551, SERVER-71246',
    look: 'run `npx mongo-compat bench contention --workload queue --target …` on 4.4 and 5.0; it reads id-23802 lines from getLog',
  },
]);

/** The server's OP_QUERY allow-list from 5.1 on (research notes row 41): the handshake, authentication and buildInfo. */
const HANDSHAKE = new Set(['ismaster', 'hello', 'saslstart', 'saslcontinue', 'authenticate', 'buildinfo', '_isself']);

export function isLegacyOpcode(op: string): boolean {
  return op !== 'OP_MSG' && op !== 'OP_COMPRESSED' && op !== 'OP_REPLY';
}

/** Commands a 6.0+ server still answers over OP_QUERY. */
export function isHandshakeCommand(name: string): boolean {
  return HANDSHAKE.has(name.toLowerCase());
}
