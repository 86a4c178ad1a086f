import { fc, test as propTest } from '@fast-check/vitest';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { diffValues, exactlyEqual } from '../../../harness/compare/diff.ts';
import { childPath, indexPath } from '../../../harness/compare/path.ts';
import type { DiffEntry } from '../../../harness/compare/types.ts';
import { kindOf } from '../../../harness/compare/value.ts';
import { bsonDoc, bsonValue } from './arbitraries.ts';

function diff(a: unknown, b: unknown): DiffEntry[] {
  const out: DiffEntry[] = [];
  diffValues(a, b, 'reply', out);
  return out;
}

/** Every leaf of a value with its path, for the "changed leaf" property. */
function leaves(value: unknown, path: string, out: { path: string; set: (v: unknown) => void }[], set: (v: unknown) => void): void {
  const k = kindOf(value);
  if (k === 'document') {
    const doc = value as Record<string, unknown>;
    for (const key of Object.keys(doc)) leaves(doc[key], childPath(path, key), out, (v) => (doc[key] = v));
  } else if (k === 'array') {
    const arr = value as unknown[];
    arr.forEach((item, i) => leaves(item, indexPath(path, i), out, (v) => (arr[i] = v)));
  } else out.push({ path, set });
}

/** A deep copy that keeps BSON classes (EJSON canonical round trip). */
function clone<T>(v: T): T {
  return BSON.EJSON.parse(BSON.EJSON.stringify({ v } as BSON.Document, { relaxed: false }), { relaxed: false }).v as T;
}

describe('diffValues', () => {
  propTest.prop([bsonValue])('every value compared with itself (or a copy) has no difference', (v) => {
    expect(diff(v, v)).toEqual([]);
    expect(diff(v, clone(v))).toEqual([]);
    expect(exactlyEqual(v, clone(v))).toBe(true);
  });

  propTest.prop([bsonDoc, fc.nat()])('any single changed leaf is found at its exact path, and only there', (doc, pick) => {
    const changed = clone(doc);
    const list: { path: string; set: (v: unknown) => void }[] = [];
    leaves(changed, 'reply', list, () => undefined);
    fc.pre(list.length > 0);
    const target = list[pick % list.length]!;
    target.set('\u0001changed');
    const out = diff(doc, changed);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ path: target.path, kind: 'value' });
    expect(exactlyEqual(doc, changed)).toBe(false);
  });

  it('tells numeric widening apart from a changed value, and shows both types', () => {
    const out = diff({ n: new BSON.Int32(5), m: new BSON.Int32(5) }, { n: new BSON.Double(5), m: new BSON.Double(5.5) });
    expect(out).toEqual([
      { path: 'reply.n', kind: 'numeric-type', baseline: '{"$numberInt":"5"}', candidate: '{"$numberDouble":"5.0"}' },
      { path: 'reply.m', kind: 'value', baseline: '{"$numberInt":"5"}', candidate: '{"$numberDouble":"5.5"}' },
    ]);
    expect(diff({ n: BSON.Long.fromNumber(7) }, { n: new BSON.Int32(7) })[0]?.kind).toBe('numeric-type');
  });

  it('reports field order separately from the values, and a missing field once', () => {
    expect(diff({ a: 1, b: 2 }, { b: 2, a: 1 })).toEqual([{ path: 'reply', kind: 'field-order', baseline: '["a","b"]', candidate: '["b","a"]' }]);
    expect(diff({ a: 1, b: 2, c: 3 }, { a: 1, c: 3 })).toEqual([{ path: 'reply.b', kind: 'missing', baseline: '{"$numberInt":"2"}' }]);
    expect(diff({ a: 1 }, { a: 1, 'x.y': 'z' })).toEqual([{ path: 'reply["x.y"]', kind: 'extra', candidate: '"z"' }]);
  });

  it('compares arrays position by position', () => {
    expect(diff({ v: [1, 2] }, { v: [1, 3, 4] }).map((d) => `${d.kind} ${d.path}`)).toEqual(['value reply.v[1]', 'extra reply.v[2]']);
  });

  propTest.prop([fc.anything(), fc.anything()])('never throws on arbitrary JavaScript values', (a, b) => {
    expect(() => diff(a, b)).not.toThrow();
    expect(() => exactlyEqual(a, b)).not.toThrow();
  });
});
