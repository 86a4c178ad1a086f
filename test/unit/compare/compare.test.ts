import { fc, test as propTest } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { compareOutcomes, Comparator } from '../../../harness/compare/compare.ts';
import { shapeOf } from '../../../harness/model/shape.ts';
import { ConfigSchema } from '../../../harness/config/schema.ts';
import { UsageError } from '../../../harness/errors.ts';
import type { OperationOutcome, TargetOutcome } from '../../../harness/model/run/outcome.ts';

const ok = (docs: BSON.Document[], latencyUs?: number): TargetOutcome => ({
  status: 'ok',
  reply: { cursor: { firstBatch: [], id: BSON.Long.fromNumber(0), ns: 'app.c' }, ok: 1 },
  docs,
  ...(latencyUs !== undefined ? { latencyUs } : {}),
});

function op(seq: number, command: BSON.Document, targets: Record<string, TargetOutcome>, app = 'shop'): OperationOutcome {
  return { seq, conn: 'c1', app, db: 'app', coll: String(Object.values(command)[0]), cmd: Object.keys(command)[0]!, shape: shapeOf(command).id, command, targets };
}

describe('Comparator', () => {
  it('learns noise from two baselines per shape, removes it from the candidate, and lists it', () => {
    const outcomes = [1, 2, 3].map((i) =>
      op(i, { find: 'c', filter: { k: i } }, {
        a: ok([{ _id: i, v: 'same', at: new Date(1000 + i) }]),
        b: ok([{ _id: i, v: 'same', at: new Date(2000 + i) }]),
        cand: ok([{ _id: i, v: i === 2 ? 'changed' : 'same', at: new Date(3000 + i) }]),
      }),
    );
    const r = compareOutcomes(outcomes, { baseline: 'a', secondBaseline: 'b' });
    expect(r.candidates).toEqual(['cand']);
    expect(r.noise).toEqual([{ shape: outcomes[0]!.shape, paths: [{ path: 'docs[].at', count: 3 }] }]);
    expect(r.groups).toHaveLength(1);
    expect(r.groups[0]).toMatchObject({ class: 'result-differs', count: 1, seqs: [2], paths: [{ path: 'docs[].v', kind: 'value', count: 1 }] });
    expect(r.verdicts[0]).toMatchObject({ app: 'shop', candidate: 'cand', level: 'fail', counts: { equivalent: 2, 'result-differs': 1 } });
    // Without the second baseline the timestamps are differences too.
    const plain = compareOutcomes(outcomes, { baseline: 'a' });
    expect(plain.groups[0]?.count).toBe(3);
    expect(() => new Comparator({ baseline: 'a', secondBaseline: 'a' })).toThrow(UsageError);
  });

  it('orders groups by severity then frequency, and points every verdict at its evidence', () => {
    const outcomes: OperationOutcome[] = [];
    for (let i = 0; i < 5; i++) outcomes.push(op(i, { find: 'c', filter: { n: i } }, { base: ok([{ _id: 1, n: new BSON.Int32(1) }]), cand: ok([{ _id: 1, n: new BSON.Double(1) }]) }));
    outcomes.push(op(10, { find: 'd', filter: { x: 1 } }, { base: ok([]), cand: { status: 'error', error: { code: 2, codeName: 'BadValue' } } }));
    const r = compareOutcomes(outcomes, { baseline: 'base' });
    expect(r.groups.map((g) => [g.class, g.count])).toEqual([
      ['new-error', 1],
      ['numeric-type-only', 5],
    ]);
    expect(r.groups[1]!.example.diffs).toEqual([{ path: 'docs[0].n', kind: 'numeric-type', baseline: '{"$numberInt":"1"}', candidate: '{"$numberDouble":"1.0"}' }]);
    const v = r.verdicts[0]!;
    expect(v.level).toBe('fail');
    expect(v.reasons.map((x) => x.level)).toEqual(['fail', 'warn']);
    expect(v.reasons[0]!.evidence).toEqual({ kind: 'group', shape: outcomes[5]!.shape, class: 'new-error', seqs: [10], paths: ['status'], cause: 'unknown' });
    expect(v.reasons[1]!.evidence).toMatchObject({ kind: 'group', seqs: [0, 1, 2, 3, 4], paths: ['docs[].n'] });
  });

  it('ignores the storage sizes of listDatabases, not their types nor the list of databases', () => {
    const dbs = (size: unknown, total: unknown, names = ['admin', 'shop']) => ({
      status: 'ok' as const,
      reply: { databases: names.map((name) => ({ name, sizeOnDisk: size, empty: false })), totalSize: total, totalSizeMb: total, ok: 1 },
    });
    const L = (n: number) => BSON.Long.fromNumber(n);
    const cmd = { listDatabases: 1 };
    const r = compareOutcomes(
      [
        op(1, cmd, { a: dbs(L(8192), L(16384)), b: dbs(L(12288), L(24576)) }),
        op(2, cmd, { a: dbs(L(8192), L(16384)), b: dbs(new BSON.Double(8192), L(16384)) }),
        op(3, cmd, { a: dbs(L(8192), L(16384)), b: dbs(L(8192), L(16384), ['admin']) }),
      ],
      { baseline: 'a', candidates: ['b'] },
    );
    const bySeq = new Map(r.groups.flatMap((g) => g.seqs.map((seq) => [seq, g.class] as const)));
    expect(bySeq.has(1)).toBe(false);
    expect(bySeq.get(2)).toBe('numeric-type-only');
    expect(bySeq.get(3)).toBe('result-differs');
    expect(r.verdicts[0]!.counts.equivalent).toBe(1);
  });

  it('applies per-app and per-shape config: ignored paths, extra volatile fields, class thresholds', () => {
    const cmd = { find: 'c', filter: { a: 1 } };
    const outcomes = [op(1, cmd, { base: { status: 'ok', reply: { n: 1, serverInfo: 'x', ok: 1 } }, cand: { status: 'ok', reply: { n: 2, serverInfo: 'y', ok: 1 } } })];
    const shape = outcomes[0]!.shape;
    const config = ConfigSchema.parse({
      compare: { volatileFields: ['serverInfo'], apps: { shop: { ignorePaths: ['reply.n'] } } },
    }).compare;
    expect(compareOutcomes(outcomes, { baseline: 'base', config }).verdicts[0]).toMatchObject({ level: 'pass', counts: { equivalent: 1 } });
    const lenient = ConfigSchema.parse({ compare: { volatileFields: ['serverInfo'], shapes: { [shape]: { fail: [], warn: ['result-differs'] } } } }).compare;
    expect(compareOutcomes(outcomes, { baseline: 'base', config: lenient }).verdicts[0]).toMatchObject({ level: 'warn', counts: { 'result-differs': 1 } });
  });

  it('judges latency per shape and per app, and warns only on a significant regression', () => {
    const outcomes: OperationOutcome[] = [];
    for (let i = 0; i < 40; i++) {
      const jitter = (i * 37) % 100;
      outcomes.push(op(i, { find: 'slow', filter: { i } }, { base: ok([], 1000 + jitter), cand: ok([], 3000 + jitter) }));
      outcomes.push(op(100 + i, { find: 'fast', filter: { i } }, { base: ok([], 1000 + jitter), cand: ok([], 1000 + ((jitter * 7) % 100)) }));
    }
    const r = compareOutcomes(outcomes, { baseline: 'base' });
    const rows = new Map(r.latency.map((l) => [l.shape, l]));
    expect(rows.get(outcomes[0]!.shape)).toMatchObject({ judgement: 'regression', level: 'warn' });
    expect(rows.get(outcomes[1]!.shape)).toMatchObject({ judgement: 'same', level: 'pass' });
    expect(rows.get('*')?.baseline.count).toBe(80);
    const v = r.verdicts[0]!;
    expect(v.level).toBe('warn');
    // Half the app's operations take 3× as long, so the app as a whole is slower too (×1.7).
    expect(v.reasons.map((x) => x.evidence)).toEqual([expect.objectContaining({ kind: 'latency', shape: '*' }), expect.objectContaining({ kind: 'latency', shape: outcomes[0]!.shape })]);
  });

  it('fails a candidate whose collections store differently after writes', () => {
    const outcomes = [op(1, { insert: 'c', documents: [{ a: 1 }] }, { base: { status: 'ok', reply: { n: 1, ok: 1 } }, cand: { status: 'ok', reply: { n: 1, ok: 1 } } })];
    const r = compareOutcomes(outcomes, { baseline: 'base' }, [{ candidate: 'cand', ns: 'app.c', method: 'documents', missing: [], extra: [], changed: ['{"$numberInt":"1"}'] }]);
    expect(r.verdicts[0]).toMatchObject({ level: 'fail', counts: { identical: 1 } });
    expect(r.verdicts[0]!.reasons[0]!.evidence).toEqual({ kind: 'state', ns: 'app.c', ids: ['{"$numberInt":"1"}'] });
  });

  it('weighs a collection stored differently only on the apps that touched it', () => {
    const same = { base: { status: 'ok', reply: { n: 1, ok: 1 } }, cand: { status: 'ok', reply: { n: 1, ok: 1 } } } as const;
    const outcomes = [op(1, { insert: 'c', documents: [{ a: 1 }] }, same, 'writer'), op(2, { insert: 'other', documents: [{ a: 1 }] }, same, 'bystander')];
    const r = compareOutcomes(outcomes, { baseline: 'base' }, [{ candidate: 'cand', ns: 'app.c', method: 'documents', missing: [], extra: [], changed: ['{"$numberInt":"1"}'] }]);
    expect(Object.fromEntries(r.verdicts.map((v) => [v.app, v.level]))).toEqual({ bystander: 'pass', writer: 'fail' });
  });

  it('reports skipped operations as unavailable with the reason, and unlabelled apps under one name', () => {
    const o = op(1, { delete: 'c', deletes: [] }, { base: { status: 'ok', reply: { ok: 1 } }, cand: { status: 'skipped', reason: 'writes not allowed' } });
    const r = compareOutcomes([{ ...o, app: undefined }], { baseline: 'base' });
    expect(r.verdicts[0]).toMatchObject({ app: '(unlabelled)', level: 'warn', counts: { unavailable: 1 } });
  });

  it('leaves out operations skipped on both sides by design: no group, no effect on the verdict', () => {
    const hello = op(1, { hello: 1 }, { base: { status: 'skipped', reason: 'handshake' }, cand: { status: 'skipped', reason: 'handshake' } });
    const read = op(2, { find: 'c', filter: { a: 1 } }, { base: ok([{ _id: 1 }]), cand: ok([{ _id: 1 }]) });
    const r = compareOutcomes([hello, read], { baseline: 'base' });
    expect(r.groups).toEqual([]);
    expect(r.verdicts).toEqual([expect.objectContaining({ app: 'shop', level: 'pass', counts: { identical: 1 } })]);
  });
});

describe('Comparator on garbage outcomes', () => {
  const side = fc.record(
    {
      status: fc.constantFrom('ok', 'error', 'unavailable', 'skipped'),
      reply: fc.anything(),
      docs: fc.oneof(fc.array(fc.anything(), { maxLength: 4 }), fc.anything()),
      error: fc.anything(),
      digest: fc.string(),
      latencyUs: fc.oneof(fc.nat(), fc.double()),
      reason: fc.string(),
    },
    { requiredKeys: ['status'] },
  );
  propTest.prop([fc.array(fc.tuple(fc.dictionary(fc.string(), fc.jsonValue()), side, side, fc.option(fc.record({ reply: fc.anything(), error: fc.anything() }))), { maxLength: 6 })])(
    'never throws, and counts every operation once per candidate unless skipped on both sides',
    (rows) => {
      const c = new Comparator({ baseline: 'a', secondBaseline: 'b' });
      const outcomes = rows.map(([command, x, y, recorded], i) => ({
        seq: i,
        conn: 'c',
        db: 'd',
        cmd: Object.keys(command)[0] ?? '',
        shape: 's',
        command,
        ...(recorded ? { recorded } : {}),
        targets: { a: x, b: y, cand: y },
      })) as unknown as OperationOutcome[];
      for (const o of outcomes) c.learn(o);
      for (const o of outcomes) c.add(o);
      const r = c.finish();
      const total = r.verdicts.reduce((n, v) => n + Object.values(v.counts).reduce((m, k) => m + (k ?? 0), 0), 0);
      const bothSkipped = rows.filter(([, x, y]) => x.status === 'skipped' && y.status === 'skipped').length;
      expect(total).toBe(rows.length - bothSkipped);
    },
  );
});
