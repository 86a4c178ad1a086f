import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { identityMatch, matchLine, sourceUri, type ServerIdentity } from '../../../harness/replay/identity.ts';

const none: ServerIdentity = { members: [] };

describe('are two server identities one server?', () => {
  it('matches one process by hello processId', () => {
    expect(identityMatch({ ...none, processId: 'abc' }, { ...none, processId: 'abc' })).toMatch(/processId abc/);
    expect(identityMatch({ ...none, processId: 'abc' }, { ...none, processId: 'abd' })).toBeUndefined();
  });

  it('matches serverStatus host and pid only when the processes started together', () => {
    const a = { ...none, host: 'vm', pid: 42, startedAtMs: 1_000_000 };
    expect(identityMatch(a, { ...a, startedAtMs: 1_000_900 })).toMatch(/host vm, pid 42/);
    // Two machines named alike whose servers have one pid by chance, started hours apart.
    expect(identityMatch(a, { ...a, startedAtMs: 1_000_000 + 3_600_000 })).toBeUndefined();
    expect(identityMatch(a, { ...a, pid: 43 })).toBeUndefined();
  });

  it('matches a replica set by name and a shared member, not by name alone (a clone keeps the name)', () => {
    const a = { setName: 'rs1', members: ['db1.example:27017', 'db2.example:27017'] };
    expect(identityMatch(a, { setName: 'rs1', members: ['db2.example:27017'] })).toMatch(/replica set rs1 \(member db2.example:27017\)/);
    expect(identityMatch(a, { setName: 'rs1', members: ['clone.example:27017'] })).toBeUndefined();
    expect(identityMatch(a, { setName: 'rs2', members: ['db1.example:27017'] })).toBeUndefined();
  });

  test.prop([
    fc.record({ processId: fc.option(fc.constantFrom('a1', 'b2', 'c3'), { nil: undefined }), host: fc.option(fc.constantFrom('vm', 'db'), { nil: undefined }), pid: fc.option(fc.nat(3), { nil: undefined }), setName: fc.option(fc.constantFrom('rs0', 'rs1'), { nil: undefined }), members: fc.array(fc.constantFrom('a:1', 'b:2', 'c:3'), { maxLength: 3 }) }),
    fc.record({ processId: fc.option(fc.constantFrom('a1', 'b2', 'c3'), { nil: undefined }), host: fc.option(fc.constantFrom('vm', 'db'), { nil: undefined }), pid: fc.option(fc.nat(3), { nil: undefined }), setName: fc.option(fc.constantFrom('rs0', 'rs1'), { nil: undefined }), members: fc.array(fc.constantFrom('a:1', 'b:2', 'c:3'), { maxLength: 3 }) }),
  ], { numRuns: 200 })('is symmetric', (a, b) => {
    const clean = (x: typeof a): ServerIdentity => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as unknown as ServerIdentity;
    expect(identityMatch(clean(a), clean(b)) === undefined).toBe(identityMatch(clean(b), clean(a)) === undefined);
  });
});

describe('the source as a connection string', () => {
  it('keeps hosts and options, drops credentials and auth options', () => {
    expect(sourceUri('127.0.0.1:27018')).toBe('mongodb://127.0.0.1:27018/?directConnection=true');
    expect(sourceUri('a:1,b:2')).toBe('mongodb://a:1,b:2/');
    const u = sourceUri('mongodb://app:****@db1:27017,db2:27017/?replicaSet=rs1&authSource=admin&tls=true')!;
    expect(u).toBe('mongodb://db1:27017,db2:27017/?replicaSet=rs1&tls=true');
    expect(sourceUri(undefined)).toBeUndefined();
    expect(sourceUri('mongodb+srv://cluster.example/')).toBeUndefined();
  });

  test.prop([fc.string()], { numRuns: 300 })('never throws on any header text', (h) => {
    sourceUri(h);
  });

  it('names both sides of a match', () => {
    const line = matchLine({ a: 'source', b: 'B', aDisplay: 'mongodb://db1/', bDisplay: 'mongodb://lb/', aRole: 'source', bRole: 'candidate', by: 'x' });
    expect(line).toBe("the capture's source (mongodb://db1/) and target B (mongodb://lb/) are one server: x");
  });
});
