import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { hostsOf, normaliseHost, sourceMatch } from '../../../harness/replay/safety.ts';

describe('is a target the capture source?', () => {
  it('matches the same host under other spellings', () => {
    expect(sourceMatch({ host: 'localhost:27017' }, { hosts: ['127.0.0.1'] })).toMatch(/host 127.0.0.1:27017/);
    expect(sourceMatch({ host: 'DB1.example:27017' }, { hosts: ['db1.example'] })).toBeDefined();
    expect(sourceMatch({ host: 'db1.example:27018' }, { hosts: ['db1.example:27017'] })).toBeUndefined();
  });

  it('matches a replica set through any of its members', () => {
    const why = sourceMatch({ host: 'mongodb://a.example:27017,b.example:27017/?replicaSet=rs9', replicaSet: 'rs9' }, { setName: 'rs9', hosts: ['c.example:27017', 'b.example:27017'] });
    expect(why).toMatch(/replica set rs9/);
  });

  it('does not match a same-named set on other hosts (e.g. a clone)', () => {
    expect(sourceMatch({ host: 'a.example:27017', replicaSet: 'rs0' }, { setName: 'rs0', hosts: ['clone.example:27017'] })).toBeUndefined();
  });

  it('reads host lists and connection strings', () => {
    expect(hostsOf('a:1, b:2')).toEqual(['a:1', 'b:2']);
    expect(hostsOf('mongodb://u:p@a:1,b:2/db')).toEqual(['a:1', 'b:2']);
    expect(hostsOf(undefined)).toEqual([]);
  });

  test.prop([fc.string()])('normalising a host is idempotent and never throws', (h) => {
    const once = normaliseHost(h);
    expect(normaliseHost(once)).toBe(once);
    hostsOf(h);
  });
});
