import type { Rule } from '../types.ts';
import { bsonType, numberOf } from '../view.ts';
import * as m from '../match.ts';

/**
 * Changes between 6.0 and 7.0, including the rapid releases 6.1–6.3. Source: the 7.0
 * compatibility page (https://www.mongodb.com/docs/manual/release-notes/7.0-compatibility/,
 * mongodb/docs `content/manual/manual/source/release-notes/7.0-compatibility.txt`).
 */
const D70 = '7.0 compatibility changes (with 6.1–6.3)';

/** An operand whose sum may be a non-integer double: a field or expression, or a non-integral double literal. */
function inexactOperand(v: unknown): boolean {
  if (typeof v === 'string') return v.startsWith('$');
  if (v !== null && typeof v === 'object' && bsonType(v) === undefined) return true; // a nested expression
  const t = bsonType(v);
  if (t === 'Double' || typeof v === 'number' || t === 'Decimal128') {
    const n = numberOf(v);
    return n !== undefined && !Number.isInteger(n);
  }
  return false;
}

export const RULES_7_0: readonly Rule[] = Object.freeze([
  {
    id: 'add-floating-point-sum',
    step: '7.0',
    since: '6.1',
    concerns: '$add of several operands that may be non-integer doubles',
    rows: [52],
    match: (op) => m.valuesOf(op, '$add').some((v) => Array.isArray(v) && v.length >= 2 && v.some(inexactOperand)),
    before: '6.0 sums doubles in $add one way ($add: [0.1, 0.2, 0.3] gives 0.6).',
    after: '6.1 sums them another way (0.6000000000000001): the last digits of double results change.',
    symptom: { expect: 'result-differs', text: 'the last bits of double results of $add differ' },
    severity: 'low',
    source: `${D70}: "$add"`,
    look: 'result-differs groups at the computed field (tiny differences)',
  },
  {
    id: 'free-monitoring-removed',
    step: '7.0',
    since: '7.0',
    concerns: 'setFreeMonitoring, getFreeMonitoringStatus',
    rows: [54],
    match: (op) => ['setfreemonitoring', 'getfreemonitoringstatus'].includes(op.name.toLowerCase()),
    before: '6.0 runs the free-monitoring commands.',
    after: '7.0 removed free monitoring.',
    symptom: { expect: 'new-error', text: 'the command fails' },
    severity: 'high',
    tokens: /FreeMonitoring/,
    source: `${D70}: "Free Monitoring" removed`,
    look: 'a new-error group for the command',
  },
  {
    id: 'view-on-buckets',
    step: '7.0',
    since: '6.1',
    concerns: 'create of a view on a system.buckets collection',
    rows: [55],
    match: (op) => op.name === 'create' && typeof op.get('viewOn') === 'string' && (op.get('viewOn') as string).startsWith('system.buckets.'),
    before: '6.0 allows a view on a time-series buckets collection.',
    after: '6.1 refuses it.',
    symptom: { expect: 'new-error', text: 'the create fails' },
    severity: 'high',
    tokens: /system\.buckets\./,
    source: `${D70}: "Views on system.buckets"`,
    look: 'a new-error group for the create',
  },
]);
