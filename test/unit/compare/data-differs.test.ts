import { fc, test as propTest } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { compareOutcomes } from '../../../harness/compare/compare.ts';
import { PreflightFindings } from '../../../harness/compare/data-differs.ts';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import { shapeOf } from '../../../harness/model/shape.ts';
import type { OperationOutcome, TargetOutcome } from '../../../harness/model/run/outcome.ts';

const FINDING = 'shop.companies: base=400:3fa8b2c1 cand=400:77d0e1aa';

describe('PreflightFindings', () => {
  propTest.prop([fc.array(fc.string({ maxLength: 40 }), { maxLength: 5 }), fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })])(
    'reads any finding lines without throwing, and only names a namespace pre-flight named',
    (lines, db, coll, candidate) => {
      const p = new PreflightFindings({ mismatches: lines }, 'base');
      const found = p.forOperation(db, coll, candidate);
      if (found !== undefined) expect(lines).toContain(found);
      if (found !== undefined) expect(found.startsWith(`${db}.${coll}: `)).toBe(true);
    },
  );

  it('finds the collection of an operation, through the run\'s database mapping', () => {
    const p = new PreflightFindings({ mismatches: [FINDING] }, 'base', { prod: 'shop' });
    expect(p.forOperation('shop', 'companies', 'cand')).toBe(FINDING);
    expect(p.forOperation('prod', 'companies', 'cand')).toBe(FINDING);
    expect(p.forOperation('shop', 'orders', 'cand')).toBeUndefined();
    expect(p.forOperation('shop', undefined, 'cand')).toBeUndefined();
    expect(p.forNamespace('shop.companies', 'cand')).toBe(FINDING);
  });

  it('clears a candidate whose fingerprint equals the baseline\'s when another target explains the finding', () => {
    const p = new PreflightFindings({ mismatches: ['shop.c: base=aaaaaaaaaaaa base2=bbbbbbbbbbbb cand=aaaaaaaaaaaa other=cccccccccccc'] }, 'base');
    expect(p.forNamespace('shop.c', 'cand')).toBeUndefined();
    expect(p.forNamespace('shop.c', 'other')).toContain('shop.c:');
    expect(p.forNamespace('shop.c', 'base2')).toContain('shop.c:');
  });

  it('takes the finding at its word when the cut fingerprints look alike or the line names neither side', () => {
    expect(new PreflightFindings({ mismatches: ['shop.c: base=123456789012 cand=123456789012'] }, 'base').forNamespace('shop.c', 'cand')).toBeDefined();
    expect(new PreflightFindings({ mismatches: ['shop.c: something unexpected'] }, 'base').forNamespace('shop.c', 'cand')).toBeDefined();
    // A fingerprint with a space in it (an error message) does not end early.
    const p = new PreflightFindings({ mismatches: ['shop.c: base=error:not au cand=error:not au'] }, 'base');
    expect(p.forNamespace('shop.c', 'cand')).toBeDefined();
    expect(new PreflightFindings(undefined, 'base').empty).toBe(true);
  });
});

const ok = (docs: BSON.Document[]): TargetOutcome => ({ status: 'ok', reply: { cursor: { firstBatch: [], id: BSON.Long.fromNumber(0), ns: 'shop.x' }, ok: 1 }, docs });

function find(seq: number, coll: string, id: number, base: BSON.Document[], cand: BSON.Document[]): OperationOutcome {
  const command = { find: coll, filter: { _id: new BSON.Int32(id) } };
  // The capture recorded the baseline's answer: three-way alone would say `version`.
  return { seq, conn: 'c1', app: 'shop', db: 'shop', coll, cmd: 'find', shape: shapeOf(command).id, command, recorded: { docs: base }, targets: { base: ok(base), cand: ok(cand) } };
}

describe('differences on a collection pre-flight found differing', () => {
  const outcomes = [
    find(1, 'companies', 7, [{ _id: 7, tier: 'gold' }], [{ _id: 7, tier: 'silver' }]),
    find(2, 'companies', 8, [{ _id: 8, tier: 'gold' }], [{ _id: 8, tier: 'gold' }]),
    find(3, 'items', 1, [{ _id: 1, price: 10 }], [{ _id: 1, price: 12 }]),
  ];

  it('are attributed to "data differs before replay", naming the finding, in a group of their own; the rest keep three-way', () => {
    const r = compareOutcomes(outcomes, { baseline: 'base', preflight: { mismatches: [FINDING] } });
    const companies = r.groups.find((g) => g.coll === 'companies')!;
    expect(companies).toMatchObject({ class: 'result-differs', cause: 'data-differs', preflight: FINDING, causes: { 'data-differs': 1 }, count: 1 });
    expect(companies.example.ids).toEqual(['{"$numberInt":"7"}']);
    expect(r.groups.find((g) => g.coll === 'items')).toMatchObject({ cause: 'version', causes: { version: 1 } });
    // Without the pre-flight result the same difference reads as the version's.
    expect(compareOutcomes(outcomes, { baseline: 'base' }).groups.find((g) => g.coll === 'companies')!.cause).toBe('version');
  });

  it('warn rather than fail, saying plainly it is not a version difference; dataDiffers sets the cap', () => {
    const dataOnly = outcomes.slice(0, 2);
    const r = compareOutcomes(dataOnly, { baseline: 'base', preflight: { mismatches: [FINDING] } });
    const v = r.verdicts[0]!;
    expect(v.level).toBe('warn');
    expect(v.reasons).toHaveLength(1);
    expect(v.reasons[0]!.message).toContain('find companies {_id: int}');
    expect(v.reasons[0]!.message).toContain(`data differs before replay, not a version difference (pre-flight: ${FINDING})`);
    expect(v.reasons[0]!.message).toContain('first differing _id {"$numberInt":"7"}');
    expect(v.reasons[0]!.evidence).toMatchObject({ kind: 'group', cause: 'data-differs', preflight: FINDING });
    const cap = (dataDiffers: 'fail' | 'warn' | 'pass') => compareOutcomes(dataOnly, { baseline: 'base', preflight: { mismatches: [FINDING] }, config: ConfigSchema.parse({ compare: { dataDiffers } }).compare }).verdicts[0]!.level;
    expect([cap('fail'), cap('warn'), cap('pass')]).toEqual(['fail', 'warn', 'pass']);
    // A cap never raises a class that passes or warns.
    const lenient = ConfigSchema.parse({ compare: { dataDiffers: 'fail', fail: [], warn: [] } }).compare;
    expect(compareOutcomes(dataOnly, { baseline: 'base', preflight: { mismatches: [FINDING] }, config: lenient }).verdicts[0]!.level).toBe('pass');
  });

  it('apply to state after writes on such a collection too', () => {
    const state = [{ candidate: 'cand', ns: 'shop.companies', method: 'documents' as const, missing: [], extra: [], changed: ['{"$numberInt":"7"}'] }];
    const r = compareOutcomes(outcomes.slice(1, 2), { baseline: 'base', preflight: { mismatches: [FINDING] } }, state);
    expect(r.verdicts[0]!.level).toBe('warn');
    expect(r.verdicts[0]!.reasons[0]!.message).toContain('data differs before replay');
    expect(r.verdicts[0]!.reasons[0]!.evidence).toMatchObject({ kind: 'state', preflight: FINDING });
    expect(compareOutcomes(outcomes.slice(1, 2), { baseline: 'base' }, state).verdicts[0]!.level).toBe('fail');
  });
});

describe('latency on a collection pre-flight found differing', () => {
  /** 40 reads of `coll` per shape, the candidate `factor` × slower on each (a little jitter, both sides alike). */
  const slower = (coll: string, factor: number, from: number): OperationOutcome[] =>
    Array.from({ length: 40 }, (_, i) => {
      const o = find(from + i, coll, 1, [{ _id: 1 }], [{ _id: 1 }]);
      const us = 1000 + ((i * 37) % 200);
      return { ...o, targets: { base: { ...o.targets.base!, latencyUs: us }, cand: { ...o.targets.cand!, latencyUs: Math.round(us * factor) } } };
    });

  it('is told as the data\'s and weighs at most dataDiffers; elsewhere it stays the version\'s', () => {
    const failing = ConfigSchema.parse({ compare: { latency: { failRatio: 1.5 } } }).compare;
    const run = (mismatches: string[]) => compareOutcomes([...slower('companies', 3, 1), ...slower('items', 1, 100)], { baseline: 'base', preflight: { mismatches }, config: failing });
    const plain = run([]).verdicts[0]!;
    expect(plain.level).toBe('fail');
    const latency = plain.reasons.find((r) => r.evidence.kind === 'latency' && r.evidence.shape !== '*')!;
    expect(latency.message).not.toContain('data differs');
    const shape = latency.evidence.kind === 'latency' ? latency.evidence.shape : '';
    const told = run([FINDING]).verdicts[0]!;
    const reason = told.reasons.find((r) => r.evidence.kind === 'latency' && r.evidence.shape === shape)!;
    expect(reason.level).toBe('warn');
    expect(reason.message).toContain(`data differs before replay, not a version difference (pre-flight: ${FINDING})`);
    expect(reason.evidence).toMatchObject({ kind: 'latency', preflight: FINDING });
    // The finding names companies only: a slowdown of items would still be the version's.
    const items = compareOutcomes([...slower('companies', 1, 1), ...slower('items', 3, 100)], { baseline: 'base', preflight: { mismatches: [FINDING] }, config: failing }).verdicts[0]!;
    expect(items.reasons.find((r) => r.evidence.kind === 'latency' && r.evidence.shape !== '*')!).toMatchObject({ level: 'fail' });
  });
});
