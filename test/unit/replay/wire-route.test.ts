import { describe, expect, it } from 'vitest';
import { wireRoute } from '../../../harness/replay/target.ts';

describe('wireRoute: which targets the replayer reaches over its own OP_MSG connections', () => {
  it('takes the single host of a plain URI, with the default port when none is given', () => {
    expect(wireRoute('mongodb://127.0.0.1:27018/?directConnection=true', { ismaster: true })).toEqual({ host: '127.0.0.1', port: 27018 });
    expect(wireRoute('mongodb://db.example/', { ismaster: true })).toEqual({ host: 'db.example', port: 27017 });
    expect(wireRoute('mongodb://[::1]:27019/', { ismaster: true })).toEqual({ host: '::1', port: 27019 });
  });

  it("follows a replica set's primary, and leaves a set without one to the driver", () => {
    expect(wireRoute('mongodb://a:1,b:2/?replicaSet=rs0', { setName: 'rs0', primary: 'b:2' })).toEqual({ host: 'b', port: 2 });
    expect(wireRoute('mongodb://a:1,b:2/?replicaSet=rs0', { setName: 'rs0' })).toBe('has no primary');
  });

  it('leaves credentials, TLS, SRV, compression, load balancers and mongos lists to the driver, saying why', () => {
    expect(wireRoute('mongodb://u:p@h:1/', {})).toMatch(/authentication/);
    expect(wireRoute('mongodb://h:1/?authMechanism=MONGODB-X509', {})).toMatch(/authentication/);
    expect(wireRoute('mongodb://h:1/?tls=true', {})).toMatch(/TLS/);
    expect(wireRoute('mongodb+srv://cluster.example/', {})).toMatch(/TLS or an SRV/);
    expect(wireRoute('mongodb://h:1/?compressors=zlib', {})).toMatch(/compression/);
    expect(wireRoute('mongodb://h:1/?loadBalanced=true', {})).toMatch(/load balancer/);
    expect(wireRoute('mongodb://m1:1,m2:2/', { msg: 'isdbgrid' })).toMatch(/several hosts/);
  });
});
