import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { wireAddress } from '../../../harness/contention/transport.ts';

describe('wireAddress', () => {
  it('serves one plain host, with or without a port', () => {
    expect(wireAddress('mongodb://127.0.0.1:27018/?directConnection=true')).toEqual({ host: '127.0.0.1', port: 27018 });
    expect(wireAddress('mongodb://db.example')).toEqual({ host: 'db.example', port: 27017 });
    expect(wireAddress('mongodb://[::1]:27019/')).toEqual({ host: '::1', port: 27019 });
  });

  it.each([
    ['mongodb://u:p@127.0.0.1:27017/', /credentials/],
    ['mongodb://127.0.0.1:27017/?tls=true', /TLS/],
    ['mongodb+srv://cluster.example/', /srv/],
    ['mongodb://a:1,b:2/?replicaSet=rs0', /2 hosts/],
    ['not a uri', /does not parse/],
  ])('leaves %s to the driver, saying why', (uri, reason) => {
    const r = wireAddress(uri);
    expect('reason' in r && r.reason).toMatch(reason);
  });

  propTest.prop([fc.string({ maxLength: 80 })], { numRuns: 300 })('never throws on garbage', (text) => {
    const r = wireAddress(text);
    expect('reason' in r || ('host' in r && Number.isInteger(r.port))).toBe(true);
  });
});
