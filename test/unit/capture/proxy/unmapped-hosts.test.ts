import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { rewriteHelloHosts, unmappedHosts } from '../../../../harness/capture/proxy/host-rewrite.ts';

describe('members a hello names without a proxy listener', () => {
  const map = new Map([['db1:27017', '127.0.0.1:27018']]);

  it('names every member outside the map once, whatever field names it', () => {
    const reply = { hosts: ['db1:27017', 'DB2:27017'], passives: ['db3:27017'], arbiters: ['db4:27017'], primary: 'db2:27017', me: 'db1:27017', setName: 'rs0' };
    expect(unmappedHosts(reply, map)).toEqual(['db2:27017', 'db3:27017', 'db4:27017']);
  });

  test.prop([fc.dictionary(fc.constantFrom('hosts', 'passives', 'arbiters', 'primary', 'me', 'setName'), fc.oneof(fc.string(), fc.array(fc.oneof(fc.string(), fc.integer())), fc.integer()))], { numRuns: 300 })(
    'never throws, and after a rewrite only the unmapped members are left unmapped',
    (reply) => {
      const before = unmappedHosts(reply, map);
      rewriteHelloHosts(reply, map);
      const mapped = new Map([...map, ...[...map.values()].map((v) => [v.toLowerCase(), v] as [string, string])]);
      expect(unmappedHosts(reply, mapped)).toEqual(before);
    },
  );
});
