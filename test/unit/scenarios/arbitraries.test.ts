import fc from 'fast-check';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { operationsText } from '../../../scenarios/lib/serialise.ts';
import { opArb } from './arbitraries.ts';

const COMMAND_FAMILIES = ['find', 'aggregate', 'findOneAndUpdate', 'insertOne', 'insertMany', 'updateOne', 'updateMany', 'deleteOne', 'deleteMany', 'bulkWrite', 'countDocuments', 'distinct', 'runCommand'];

describe('operation arbitraries', () => {
  it('cover every command family the scenarios use', () => {
    const seen = new Set(fc.sample(opArb, { numRuns: 600, seed: 1 }).map((o) => o.op));
    for (const f of COMMAND_FAMILIES) expect(seen, f).toContain(f);
  });

  it('generate operations that survive canonical Extended JSON unchanged (what a capture stores)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 10 }), (ops) => {
        const text = operationsText(ops);
        expect(operationsText(BSON.EJSON.parse(text, { relaxed: false }) as never)).toBe(text);
      }),
      { numRuns: 100 },
    );
  });

  it('end every sort on _id and name the _id of every upsert, so servers seeded alike agree', () => {
    fc.assert(
      fc.property(opArb, (o) => {
        if ((o.op === 'find' || o.op === 'findOneAndUpdate') && o.sort) expect(Object.keys(o.sort).at(-1)).toBe('_id');
        if ((o.op === 'updateMany' || o.op === 'updateOne') && o.upsert) expect('_id' in o.filter || JSON.stringify(o.update).includes('"$setOnInsert":{"_id"')).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
