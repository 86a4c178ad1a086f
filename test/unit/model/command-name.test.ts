import { describe, expect, it } from 'vitest';
import { isAuthCommand } from '../../../harness/capture/proxy/credentials.ts';
import { canonicalCommandName, isCredentialCommand } from '../../../harness/model/command-name.ts';
import { shapeOf } from '../../../harness/model/shape.ts';
import { classify } from '../../../harness/replay/classify.ts';
import { SummaryBuilder } from '../../../harness/store/summary.ts';

describe('command names', () => {
  it('legacy spellings have one canonical name; unknown names stay as given', () => {
    expect(canonicalCommandName('findandmodify')).toBe('findAndModify');
    expect(canonicalCommandName('ismaster')).toBe('isMaster');
    expect(canonicalCommandName('buildinfo')).toBe('buildInfo');
    expect(canonicalCommandName('FIND')).toBe('find');
    expect(canonicalCommandName('myCustomCommand')).toBe('myCustomCommand');
  });

  it('shapes, classification and capture info treat spellings alike', () => {
    const a = shapeOf({ findandmodify: 'jobs', query: { s: 'NEW' }, update: { $set: { s: 'RUN' } } });
    const b = shapeOf({ findAndModify: 'jobs', query: { s: 'OLD' }, update: { $set: { s: 'X' } } });
    expect(a.id).toBe(b.id);
    expect(classify('buildinfo', { buildinfo: 1 })).toBe(classify('buildInfo', { buildInfo: 1 }));
    const s = new SummaryBuilder();
    const base = { seq: 0, t: 0, dur: 1, conn: 'c', db: 'q', op: 'OP_MSG' as const };
    s.add({ ...base, cmd: 'findandmodify', command: { findandmodify: 'jobs' } });
    s.add({ ...base, cmd: 'findAndModify', command: { findAndModify: 'jobs' } });
    const r = s.result();
    expect(r.byCommand).toEqual({ findAndModify: 2 });
    expect(r.topShapes).toHaveLength(1);
  });

  it('credential commands are recognised in any spelling, and the proxy never records them', () => {
    for (const c of ['createUser', 'createuser', 'updateUser', 'saslStart', 'saslcontinue', 'authenticate', 'logout', 'getnonce', 'dropUser', 'grantRolesToUser']) {
      expect(isCredentialCommand(c), c).toBe(true);
      expect(isAuthCommand(c), c).toBe(true);
    }
    for (const c of ['find', 'usersInfo', 'createRole', 'insert']) expect(isCredentialCommand(c), c).toBe(false);
  });
});
