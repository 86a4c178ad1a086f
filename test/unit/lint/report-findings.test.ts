import { describe, expect, it } from 'vitest';
import { Linter } from '../../../harness/lint/engine.ts';
import { shapeOf } from '../../../harness/model/shape.ts';
import { compareVersions, judge, onReplayedShapes, pathFloor, renderLintSection } from '../../../harness/report/lint-findings.ts';
import type { ReportDocument } from '../../../harness/report/schema.ts';
import { toRecord } from './fixtures.ts';

const collision = { find: 'items', filter: {}, projection: { size: 1, 'size.uom': 1 }, $db: 'app' };
const other = { find: 'items', filter: { a: 1 }, projection: { a: 1, 'a.b': 1 }, $db: 'app' };

/** The parts of a report document lint reads: targets, candidates, per-app shapes and the matrix. */
function reportWith(behaviour44: string, behaviour50: string): ReportDocument {
  const shape = shapeOf(collision).id;
  return {
    baseline: 'b42',
    candidates: ['c44', 'c50'],
    targets: [
      { name: 'b42', role: 'baseline', uri: 'x', serverVersion: '4.2.24' },
      { name: 'c44', role: 'candidate', uri: 'x', serverVersion: '4.4.29' },
      { name: 'c50', role: 'candidate', uri: 'x', serverVersion: '5.0.31' },
    ],
    apps: [{ app: 'shop', shapes: { [shape]: 'text' } }],
    matrix: [{ app: 'shop', shapes: [{ shape, shapeText: 'text', cmd: 'find', firstChange: null, cells: [{ candidate: 'c44', behaviour: behaviour44, latency: 'same' }, { candidate: 'c50', behaviour: behaviour50, latency: 'same' }] }] }],
  } as unknown as ReportDocument;
}

function lintOf(): ReturnType<Linter['result']> {
  const l = new Linter({ from: '4.2', to: '8.0' });
  l.add(toRecord({ app: 'shop', command: collision }, 1));
  l.add(toRecord({ app: 'shop', command: other }, 2));
  return l.result();
}

describe('lint findings in the compatibility report', () => {
  it('keeps findings on replayed shapes only, judged per candidate against what the replay showed', () => {
    const apps = onReplayedShapes(lintOf(), reportWith('new-error', 'same'));
    const f = apps[0]!.findings.find((x) => x.rule === 'projection-path-collision')!;
    // The shape of `other` was not replayed: only the replayed one is listed.
    expect(f.shapes.map((s) => s.shape)).toEqual([shapeOf(collision).id]);
    expect(f.shapes[0]!.candidates).toEqual([
      { candidate: 'c44', behaviour: 'new-error', judgement: 'confirmed' },
      { candidate: 'c50', behaviour: 'same', judgement: 'contradicted' },
    ]);
    expect(renderLintSection({ from: '4.2', to: '8.0', apps })).toMatch(/\| `projection-path-collision` \| high \| 4\.4 \| new-error \| .* \| c44: confirmed \(new-error\); c50: contradicted \|/);
  });

  it('says before-change for candidates older than the rule, not-judged for symptoms compare does not see', () => {
    expect(judge({ since: '5.1', expect: 'new-error' }, { behaviour: 'same', latency: 'same' }, '5.0.31')).toBe('before-change');
    expect(judge({ since: '5.1', expect: 'new-error' }, { behaviour: 'new-error', latency: 'same' }, '6.0.1')).toBe('confirmed');
    expect(judge({ since: '5.1', expect: 'new-error' }, { behaviour: 'result-differs', latency: 'same' }, '6.0.1')).toBe('other');
    expect(judge({ since: '5.0', expect: 'log-only' }, undefined, '5.0.0')).toBe('not-judged');
    expect(judge({ since: '5.0', expect: 'latency' }, { behaviour: 'same', latency: 'regression' }, '5.0.0')).toBe('confirmed');
  });

  it('reads server versions onto the path', () => {
    expect(pathFloor('4.2.24')).toBe('4.2');
    expect(pathFloor('7.3.1')).toBe('7.0');
    expect(pathFloor('8.0.4-ent')).toBe('8.0');
    expect(pathFloor('3.6.23')).toBeUndefined();
    expect(pathFloor(undefined)).toBeUndefined();
    expect(compareVersions('6.0.5', '5.1')).toBeGreaterThan(0);
    expect(compareVersions('5.0', '5.0.0')).toBe(0);
  });
});
