import * as m from '../match.ts';
import type { Rule } from '../types.ts';
import { isDoc, numberOf } from '../view.ts';
import { isHandshakeCommand } from './v5.0.ts';

/**
 * Changes between 5.0 and 6.0, including the rapid releases 5.1–5.3. Source: the 6.0
 * compatibility page (https://www.mongodb.com/docs/manual/release-notes/6.0-compatibility/,
 * mongodb/docs `source/release-notes/6.0-compatibility.txt`), which lists the 5.1–5.3
 * changes too; the wire protocol page for the legacy opcodes.
 */
const D60 = '6.0 compatibility changes (with 5.1–5.3)';
const LEGACY = `${D60}: "Legacy Opcodes Removed"; mongodb-wire-protocol page`;

const LEGACY_WRITES = new Set(['OP_INSERT', 'OP_UPDATE', 'OP_DELETE', 'OP_KILL_CURSORS']);
const MODIFIERS = ['$query', '$orderby', '$hint', '$explain', '$snapshot', '$maxScan', '$returnKey', '$showDiskLoc', '$min', '$max', '$comment', '$maxTimeMS'];
/** In a filter, `$comment` is a query operator of its own: not a legacy modifier there. */
const FILTER_MODIFIERS = MODIFIERS.filter((k) => k !== '$comment');
const MEMORY_CODES = new Set([292, 16819, 16945]);

/**
 * Static functions of Array and String that 6.0's JavaScript engine no longer has (the
 * prototype forms still work). `Array.isArray`, `Array.from`, `String.fromCharCode` are
 * standard and stay.
 */
const REMOVED_STATICS = new Set(
  [
    'Array.concat', 'Array.every', 'Array.filter', 'Array.forEach', 'Array.indexOf', 'Array.join', 'Array.lastIndexOf', 'Array.map',
    'Array.pop', 'Array.push', 'Array.reverse', 'Array.shift', 'Array.slice', 'Array.some', 'Array.sort', 'Array.splice', 'Array.unshift',
    'String.charAt', 'String.charCodeAt', 'String.concat', 'String.contains', 'String.endsWith', 'String.includes', 'String.indexOf',
    'String.lastIndexOf', 'String.localeCompare', 'String.match', 'String.normalize', 'String.replace', 'String.search', 'String.slice',
    'String.split', 'String.startsWith', 'String.substr', 'String.substring', 'String.toLocaleLowerCase', 'String.toLocaleUpperCase',
    'String.toLowerCase', 'String.toUpperCase', 'String.trim', 'String.trimLeft', 'String.trimRight',
  ],
);
const STATIC_CALL = /\b(Array|String)\s*\.\s*([A-Za-z]+)\s*\(/g;
/** The same calls as a source-scan pattern. */
const STATIC_TOKENS = new RegExp(`\\b(?:${[...REMOVED_STATICS].map((s) => s.replace('.', '\\s*\\.\\s*')).join('|')})\\s*\\(`);

export function usesRemovedStatic(code: string): boolean {
  for (const hit of code.matchAll(STATIC_CALL)) if (REMOVED_STATICS.has(`${hit[1]}.${hit[2]}`)) return true;
  return false;
}

export const RULES_6_0: readonly Rule[] = Object.freeze([
  {
    id: 'op-query-find',
    step: '6.0',
    since: '5.1',
    concerns: 'finds sent over OP_QUERY',
    rows: [40],
    match: (op) => op.opcode === 'OP_QUERY' && op.name === 'find',
    before: '5.0 answers OP_QUERY queries with OP_REPLY.',
    after: '5.1 and later refuse them; the connection stays open.',
    symptom: {
      expect: 'new-error',
      code: 5739101,
      codeName: 'Location5739101',
      text: '"OP_QUERY is no longer supported. The client driver may require an upgrade." (352 UnsupportedOpQueryCommand for a find command over OP_QUERY)',
    },
    severity: 'high',
    source: `${LEGACY}; yesodweb/persistent#1426 (QueryFailure 5739101)`,
    look: 'a new-error group for the shape; upgrade the driver to one that speaks OP_MSG',
  },
  {
    id: 'op-query-command',
    step: '6.0',
    since: '5.1',
    concerns: 'commands other than the handshake and authentication sent over OP_QUERY',
    rows: [41],
    match: (op) => op.opcode === 'OP_QUERY' && op.name !== 'find' && !isHandshakeCommand(op.name),
    before: '5.0 answers commands sent over OP_QUERY to db.$cmd.',
    after: '5.1 and later answer only hello/isMaster, authentication and buildInfo over OP_QUERY.',
    symptom: { expect: 'new-error', code: 352, codeName: 'UnsupportedOpQueryCommand', text: '"Unsupported OP_QUERY command: … The client driver may require an upgrade."' },
    severity: 'high',
    source: `${LEGACY}; the server's OP_QUERY allow-list (hello, isMaster, saslStart, saslContinue, authenticate, buildInfo, _isSelf)`,
    look: 'a new-error group for the command',
  },
  {
    id: 'legacy-write-opcodes',
    step: '6.0',
    since: '5.1',
    concerns: 'OP_INSERT, OP_UPDATE, OP_DELETE, OP_KILL_CURSORS',
    rows: [42],
    match: (op) => LEGACY_WRITES.has(op.opcode),
    before: '5.0 applies legacy writes (no reply).',
    after: '5.1 and later close the connection without a reply.',
    symptom: { expect: 'not-replayed', text: 'the connection is closed; the write is lost and the driver sees a network error on its next operation' },
    severity: 'high',
    source: LEGACY,
    look: 'these are not replayed (not replayable: legacy-opcode); the driver must be upgraded',
  },
  {
    id: 'legacy-get-more',
    step: '6.0',
    since: '5.1',
    concerns: 'OP_GET_MORE',
    rows: [43],
    match: (op) => op.opcode === 'OP_GET_MORE',
    before: '5.0 answers OP_GET_MORE.',
    after: '5.1 and later answer it with an error; the connection stays open.',
    symptom: { expect: 'new-error', text: 'cursor iteration fails after the first batch' },
    severity: 'high',
    source: LEGACY,
    look: 'not replayed (legacy-opcode); multi-batch reads of this app fail on 6.0',
  },
  {
    id: 'getlasterror-removed',
    step: '6.0',
    since: '5.1',
    concerns: 'getLastError',
    rows: [43],
    match: (op) => op.name === 'getLastError',
    before: '5.0 answers getLastError (the acknowledgement of legacy writes).',
    after: '5.1 removed getLastError.',
    symptom: { expect: 'new-error', code: 59, codeName: 'CommandNotFound', text: '"no such command: getLastError"' },
    severity: 'high',
    tokens: /get_?last_?error/i,
    source: `${D60}: "Removed Commands" (getLastError)`,
    look: 'a new-error group for getLastError',
  },
  {
    id: 'legacy-query-modifiers',
    step: '6.0',
    since: '5.1',
    concerns: 'legacy query modifiers ($query, $orderby, $hint, $explain, $maxScan, $returnKey, $showDiskLoc, $min, $max, $maxTimeMS, …)',
    rows: [44],
    match: (op) => {
      if (MODIFIERS.some((k) => Object.hasOwn(op.body, k))) return true;
      const filter = op.name === 'find' ? op.get('filter') : undefined;
      return isDoc(filter) && FILTER_MODIFIERS.some((k) => Object.hasOwn(filter, k));
    },
    before: '5.0 accepts the OP_QUERY query modifiers.',
    after: '5.1 removed them with OP_QUERY.',
    symptom: { expect: 'new-error', text: 'the query fails (unknown operator or unsupported OP_QUERY)' },
    severity: 'high',
    tokens: /["']\$(?:query|orderby|maxScan|showDiskLoc|returnKey|snapshot|explain)["']/,
    source: `${D60}: "Removed Query Modifiers"`,
    look: 'a new-error group for the shape',
  },
  {
    id: 'memory-limit-error-disappears',
    step: '6.0',
    since: '6.0',
    concerns: 'sort or group over the memory limit without allowDiskUse (recorded 292 / 16819 / 16945)',
    rows: [45],
    match: (op) => MEMORY_CODES.has(m.errorCode(op) ?? -1) && op.get('allowDiskUse') !== false,
    before: '5.0 fails a memory-heavy blocking $sort/$group without allowDiskUse.',
    after: '6.0 spills to disk by default (allowDiskUseByDefault); only an explicit allowDiskUse: false still fails.',
    symptom: { expect: 'fixed-error', text: 'the error the capture recorded becomes a result' },
    severity: 'low',
    source: `${D60}: "allowDiskUseByDefault"; fact-allowDiskUseByDefault.rst`,
    look: 'a fixed-error group for the shape, and its latency (disk spill)',
  },
  {
    id: 'mod-non-finite',
    step: '6.0',
    since: '5.1',
    concerns: '$mod with NaN or Infinity',
    rows: [47],
    match: (op) => m.valuesOf(op, '$mod').some((v) => Array.isArray(v) && v.some((x) => {
      const n = numberOf(x);
      return n !== undefined && !Number.isFinite(n);
    })),
    before: '5.0 accepts NaN and Infinity as $mod divisor or remainder.',
    after: '5.1 (and 5.0.4) refuse them.',
    symptom: { expect: 'new-error', text: 'the query fails' },
    severity: 'high',
    source: `${D60}: "$mod Operator Behavior Changes"`,
    look: 'a new-error group for the shape',
  },
  {
    id: 'javascript-removed-statics',
    step: '6.0',
    since: '6.0',
    concerns: 'Array.*/String.* static functions in $where, $function, $accumulator or mapReduce',
    rows: [48],
    match: (op) => op.code.some(usesRemovedStatic),
    before: '5.0 has static Array and String functions (Array.concat(a, b), String.trim(s)).',
    after: '6.0 removed them; the prototype forms (a.concat(b), s.trim()) still work.',
    symptom: { expect: 'new-error', text: 'a JavaScript error ("… is not a function")' },
    severity: 'high',
    tokens: STATIC_TOKENS,
    source: `${D60}: "Removed Array and String static functions"`,
    look: 'a new-error group for the shape',
  },
  {
    id: 'dropindexes-changes',
    step: '6.0',
    since: '5.2',
    concerns: 'dropIndexes "*" (sharded collections) or dropIndexes refused during an index build',
    rows: [49],
    match: (op) => op.name === 'dropIndexes' && (op.get('index') === '*' || m.errorCode(op) === 12587 || /BackgroundOperationInProgress/.test(m.errorText(op))),
    before: '5.0 drops the shard-key index with "*", and refuses to drop an index while another builds.',
    after: '6.0 keeps the last shard-key index and allows dropping other indexes during a build.',
    symptom: { expect: 'result-differs', text: 'the indexes left afterwards differ; a recorded error may become success' },
    severity: 'low',
    source: `${D60}: "dropIndexes"`,
    look: 'listIndexes after the replay, and fixed-error groups for dropIndexes',
  },
  {
    id: 'dbstats-free-storage',
    step: '6.0',
    since: '6.0',
    concerns: 'dbStats without freeStorage: 1',
    rows: [50],
    match: (op) => op.name === 'dbStats' && !m.positive(op.get('freeStorage')) && op.get('freeStorage') !== true,
    before: '5.0 always reports free-space figures.',
    after: '6.0 reports them only with freeStorage: 1.',
    symptom: { expect: 'server-differences', text: 'fsUsedSize/fsTotalSize-style free-space fields are missing' },
    severity: 'low',
    source: `${D60}: "dbStats Output Change"`,
    look: 'the Server differences section for dbStats',
  },
  {
    id: 'explain-version-field',
    step: '6.0',
    since: '5.1',
    concerns: 'explain (the command or explain: true)',
    rows: [51],
    match: (op) => op.name === 'explain' || op.get('explain') === true,
    before: '5.0 explain output has no explainVersion and one plan layout.',
    after: 'From 5.1 explain carries explainVersion "1" (classic) or "2" (SBE, queryPlan + slotBasedPlan).',
    symptom: { expect: 'server-differences', text: 'the explain layout changes; parsers of winningPlan break under SBE' },
    severity: 'low',
    source: 'explain results manual page (explainVersion), 6.0',
    look: 'the Server differences section; `mongo-compat plans` normalises both layouts',
  },
]);
