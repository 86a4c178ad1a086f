import { describe, expect, it } from 'vitest';
import { acceptancesInForce, compareCell, suiteExit } from '../../../harness/suite/compare-history.ts';
import { groupId } from '../../../harness/suite/group-id.ts';
import type { HistoryCell, HistoryEntry, HistoryGroup } from '../../../harness/suite/history.ts';
import { EXIT_BITS } from '../../../harness/report/exit-status.ts';

const g = (id: string): HistoryGroup => ({ id, shape: 's', label: 'find things', class: 'result-differs', paths: [], count: 1 });
const cell = (groups: HistoryGroup[], verdict: HistoryCell['verdict'] = groups.length ? 'fail' : 'pass', app = 'shop', candidate = 'v70'): HistoryCell => ({
  app,
  candidate,
  version: '7.0',
  verdict,
  groups,
  newErrors: 0,
  latency: {},
  quality: { droppedAtCapture: 0, unparseable: 0, corruptOutcomes: 0, records: 1, outcomes: 1 },
});
const run = (runId: string, cells: HistoryCell[]): HistoryEntry => ({ format: 'mongo-compat-suite-history', version: 1, runId, startedAt: '', endedAt: '', tool: { name: 'mongo-compat', version: '0' }, targets: {}, cells });

describe('group ids', () => {
  it('are stable under path order and differ when class, cause, shape, candidate or app differs', () => {
    const base = { app: 'shop', candidate: 'v70', shape: 'abc', class: 'result-differs', cause: 'version', paths: ['a', 'b'] };
    expect(groupId(base)).toMatch(/^g-[0-9a-f]{12}$/);
    expect(groupId({ ...base, paths: ['b', 'a', 'a'] })).toBe(groupId(base));
    for (const over of [{ class: 'new-error' }, { cause: 'data-differs' }, { shape: 'abd' }, { candidate: 'v80' }, { app: 'crm' }, { paths: ['a'] }]) expect(groupId({ ...base, ...over })).not.toBe(groupId(base));
  });
});

describe('comparing a cell with the last comparable run', () => {
  it('splits groups into new, still open and fixed', () => {
    const history = [run('r1', [cell([g('g-1'), g('g-2')])])];
    const ch = compareCell(cell([g('g-2'), g('g-3')]), history, new Map());
    expect({ prev: ch.previousRunId, new: ch.new.map((x) => x.id), open: ch.open.map((x) => x.id), fixed: ch.fixed.map((x) => x.id) }).toEqual({ prev: 'r1', new: ['g-3'], open: ['g-2'], fixed: ['g-1'] });
  });

  it('skips runs where the cell errored or did not exist', () => {
    const history = [run('r1', [cell([g('g-1')])]), run('r2', [cell([], 'error')]), run('r3', [cell([], 'pass', 'other')])];
    expect(compareCell(cell([g('g-1')]), history, new Map()).previousRunId).toBe('r1');
    expect(compareCell(cell([g('g-1')]), [], new Map()).previousRunId).toBeNull();
  });

  it('drops expired acceptances with a warning', () => {
    const { byId, warnings } = acceptancesInForce([{ id: 'g-1', reason: 'known', expires: '2026-11-30' }, { id: 'g-2', reason: 'old', expires: '2026-11-29' }, { id: 'g-3', reason: 'cli' }], '2026-11-30');
    expect([...byId.keys()]).toEqual(['g-1', 'g-3']);
    expect(warnings).toEqual(['acceptance of g-2 expired on 2026-11-29 (old); it no longer counts']);
  });
});

describe('the suite exit bitmask', () => {
  const history = [run('r1', [cell([g('g-1')])])];
  it('fails under new only on new unaccepted groups', () => {
    const still = cell([g('g-1')]);
    expect(suiteExit([still], [compareCell(still, history, new Map())], 'new', false).status).toBe(0);
    const worse = cell([g('g-1'), g('g-2')]);
    expect(suiteExit([worse], [compareCell(worse, history, new Map())], 'new', false).status).toBe(EXIT_BITS.FAIL);
    const accepted = new Map([['g-2', { id: 'g-2', reason: 'known' }]]);
    expect(suiteExit([worse], [compareCell(worse, history, accepted)], 'new', false).status).toBe(0);
  });

  it('fails under any on every failing cell unless all its groups are accepted; errors and cuts set their bits', () => {
    const still = cell([g('g-1')]);
    expect(suiteExit([still], [compareCell(still, history, new Map())], 'any', false).status).toBe(EXIT_BITS.FAIL);
    expect(suiteExit([still], [compareCell(still, history, new Map([['g-1', { id: 'g-1', reason: 'r' }]]))], 'any', false).status).toBe(0);
    const broken = { ...cell([], 'error'), error: 'MC_TARGET_UNREACHABLE: down' };
    const r = suiteExit([broken], [compareCell(broken, [], new Map())], 'new', true);
    expect(r.status).toBe(EXIT_BITS.ERRORS | EXIT_BITS.TIME_LIMIT);
    expect(r.reasons[0]).toMatch(/^1: 1 cell\(s\) could not run: shop on v70: MC_TARGET_UNREACHABLE: down/);
  });

  it('counts warn cells with new groups as the warn bit', () => {
    const w = cell([g('g-9')], 'warn');
    expect(suiteExit([w], [compareCell(w, history, new Map())], 'new', false).status).toBe(EXIT_BITS.WARN);
  });
});
