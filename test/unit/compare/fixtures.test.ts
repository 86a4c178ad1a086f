import { readdirSync, readFileSync } from 'node:fs';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { compareOutcomes } from '../../../harness/compare/compare.ts';
import { shapeOf } from '../../../harness/model/shape.ts';
import { DIFF_CLASSES, type DiffClass } from '../../../harness/compare/types.ts';
import type { OperationOutcome, TargetOutcome } from '../../../harness/model/run/outcome.ts';

/**
 * The hand-written case table: one file per case in test/fixtures/compare/, canonical
 * Extended JSON, read by this one runner. Each names the class it must produce and
 * the exact set of diff paths (and, with a recorded reply or a pre-flight finding, the
 * cause). Operations run on target `baseline` and `candidate`, collection `command`'s.
 */
interface Fixture {
  description: string;
  expect: DiffClass;
  paths: string[];
  cause?: string;
  /** run.json `preflight` of the run the operation came from. */
  preflight?: { mismatches: string[] };
  command: BSON.Document;
  recorded?: OperationOutcome['recorded'];
  baseline: TargetOutcome;
  candidate: TargetOutcome;
}

const dir = new URL('../../fixtures/compare/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

function load(file: string): Fixture {
  return BSON.EJSON.parse(readFileSync(new URL(file, dir), 'utf8'), { relaxed: false }) as unknown as Fixture;
}

describe('compare fixture table', () => {
  it('has at least one case for every class', () => {
    const classes = new Set(files.map((f) => load(f).expect));
    for (const c of DIFF_CLASSES) expect(classes, `no fixture for ${c}`).toContain(c);
  });

  for (const file of files) {
    const fx = load(file);
    it(`${file}: ${fx.expect}`, () => {
      const cmd = Object.keys(fx.command)[0]!;
      const outcome: OperationOutcome = {
        seq: 1,
        conn: 'c1',
        app: 'fixture',
        db: String(fx.command.$db ?? 'app'),
        ...(typeof fx.command[cmd] === 'string' ? { coll: fx.command[cmd] as string } : {}),
        cmd,
        shape: shapeOf(fx.command).id,
        command: fx.command,
        ...(fx.recorded ? { recorded: fx.recorded } : {}),
        targets: { baseline: fx.baseline, candidate: fx.candidate },
      };
      const result = compareOutcomes([outcome], { baseline: 'baseline', ...(fx.preflight ? { preflight: fx.preflight } : {}) });
      const verdict = result.verdicts[0]!;
      expect(verdict.counts).toEqual({ [fx.expect]: 1 });
      const group = result.groups[0];
      if (fx.expect === 'identical' || fx.expect === 'equivalent') {
        expect(result.groups).toHaveLength(0);
        return;
      }
      expect(group?.class).toBe(fx.expect);
      expect(new Set(group!.example.diffs.map((d) => d.path))).toEqual(new Set(fx.paths));
      if (fx.cause) expect(group!.example.cause).toBe(fx.cause);
      // Every verdict points at its evidence: the group's shape and seq.
      for (const r of verdict.reasons) {
        expect(r.evidence).toMatchObject({ kind: 'group', shape: outcome.shape, seqs: [1] });
      }
    });
  }
});
