import * as m from '../match.ts';
import type { Rule } from '../types.ts';
import { isDoc } from '../view.ts';

/**
 * Changes between 7.0 and 8.0, including the rapid releases 7.1–7.3. Source: the 8.0
 * compatibility page (https://www.mongodb.com/docs/manual/release-notes/8.0-compatibility/,
 * mongodb/docs `content/manual/manual/source/release-notes/8.0-compatibility.txt`) and
 * `includes/null-undefined-query-match.rst`.
 */
const D80 = '8.0 compatibility changes (with 7.1–7.3)';

const INDEX_FILTERS = new Set(['plancachesetfilter', 'plancacheclearfilters', 'plancachelistfilters', 'cleanuporphaned']);

export const RULES_8_0: readonly Rule[] = Object.freeze([
  {
    id: 'null-no-longer-matches-undefined',
    step: '8.0',
    since: '8.0',
    concerns: 'equality to null in a query ({f: null}, $eq, $ne, $in, $nin) and equality $lookup',
    rows: [58],
    match: (op) => op.filters.some((f) => m.predicateMatchesNull(f)) || m.equalityLookup(op),
    before: '7.0 matches null, missing and undefined (BSON type 6) values.',
    after: '8.0 matches null and missing only; undefined values no longer match.',
    symptom: { expect: 'result-differs', text: 'documents holding undefined drop out of the result (or come in with $ne: null)' },
    severity: 'medium',
    source: `${D80}: "Queries for null no longer match undefined"; includes/null-undefined-query-match.rst`,
    look: 'result-differs groups for the shape where the data holds undefined values',
  },
  {
    id: 'rank-null-missing',
    step: '8.0',
    since: '8.0',
    concerns: '$rank / $denseRank in $setWindowFields',
    rows: [59],
    match: (op) => op.operators.has('$rank') || op.operators.has('$denseRank'),
    before: '7.0 ranks null and missing sort values differently.',
    after: '8.0 ranks them the same, like $sort.',
    symptom: { expect: 'result-differs', text: 'rank values of documents with null or missing sortBy fields change' },
    severity: 'medium',
    tokens: /\$(?:rank|denseRank)\b/,
    source: `${D80}: "$rank and $denseRank"; the $rank and $denseRank pages`,
    look: 'result-differs groups at the rank field',
  },
  {
    id: 'majority-ack-before-apply',
    step: '8.0',
    since: '8.0',
    concerns: 'w: "majority" writes from an app that also reads from secondaries',
    rows: [60],
    match: (op) => {
      const wc = op.get('writeConcern');
      return m.isWrite(op) && isDoc(wc) && wc.w === 'majority';
    },
    confirm: (f) => f.appReadsSecondaries,
    before: '7.0 acknowledges w: "majority" once a majority has applied the write.',
    after: '8.0 acknowledges once a majority has written it to the oplog; a secondary read right after may not see it.',
    symptom: { expect: 'result-differs', text: 'read-your-write through a secondary can miss the write' },
    severity: 'low',
    source: `${D80}: "Write Concern Majority"; SERVER-92972 (w: majority waits for the write to be persisted, not applied)`,
    look: 'reads with a secondary read preference after writes; replay against a replica set',
  },
  {
    id: 'compact-concurrent',
    step: '8.0',
    since: '8.0',
    concerns: 'compact run from several connections',
    rows: [62],
    match: (op) => op.name.toLowerCase() === 'compact',
    confirm: (f) => f.connections >= 2,
    before: '7.0 runs two compacts on one collection at once.',
    after: '8.0 refuses a compact while another runs on the collection.',
    symptom: { expect: 'new-error', text: 'the second compact fails' },
    severity: 'low',
    source: `${D80}: "Concurrent Compact Commands"`,
    look: 'new-error groups for compact',
  },
  {
    id: 'serverstatus-output',
    step: '8.0',
    since: '8.0',
    concerns: 'serverStatus read by the application',
    rows: [65],
    match: (op) => op.name === 'serverStatus',
    before: '7.0 serverStatus has wiredTiger.concurrentTransactions and metrics.repl.buffer.count.',
    after: '8.0 changed that output (metrics.repl.buffer.{apply,write}.*).',
    symptom: { expect: 'server-differences', text: 'monitoring code reading these paths finds them gone' },
    severity: 'info',
    tokens: /server_?status/i,
    source: `${D80}: "serverStatus Output Change"`,
    look: 'the Server differences section for serverStatus',
  },
  {
    id: 'server-side-javascript-deprecated',
    step: '8.0',
    since: '8.0',
    concerns: '$where, $function, $accumulator, mapReduce',
    rows: [66],
    match: (op) => op.name === 'mapReduce' || op.operators.has('$where') || op.operators.has('$function') || op.operators.has('$accumulator'),
    before: '7.0 supports server-side JavaScript.',
    after: '8.0 deprecates it (still works): plan to replace it with aggregation operators.',
    symptom: { expect: 'identical', text: 'no change yet; a later version may remove it' },
    severity: 'info',
    tokens: /\$(?:where|function|accumulator)\b|map_?reduce/i,
    source: `${D80}: "Deprecations" (server-side JavaScript)`,
    look: 'nothing in the replay; a migration item',
  },
  {
    id: 'index-filters-deprecated',
    step: '8.0',
    since: '8.0',
    concerns: 'planCacheSetFilter / planCacheClearFilters / planCacheListFilters, cleanupOrphaned',
    rows: [66],
    match: (op) => INDEX_FILTERS.has(op.name.toLowerCase()),
    before: '7.0 supports index filters and cleanupOrphaned.',
    after: '8.0 deprecates them (query settings replace index filters).',
    symptom: { expect: 'identical', text: 'no change yet' },
    severity: 'info',
    tokens: /planCache(?:Set|Clear|List)Filters?|cleanupOrphaned/,
    source: `${D80}: "Deprecations"`,
    look: 'nothing in the replay; a migration item',
  },
]);
